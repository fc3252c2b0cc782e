"""RFC 8414 metadata."""

from __future__ import annotations

from camgate.domain import SCOPES
from camgate.oauth.metadata import server_metadata


def test_endpoints_hang_off_the_issuer() -> None:
    doc = server_metadata("https://cloud.example")
    assert doc["issuer"] == "https://cloud.example"
    for key in ("authorization", "token", "revocation", "introspection"):
        assert doc[f"{key}_endpoint"].startswith("https://cloud.example/oauth2/")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["scopes_supported"] == list(SCOPES)
    assert doc["authorization_response_iss_parameter_supported"] is True
