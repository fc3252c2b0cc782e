"""Authorization server metadata (RFC 8414 §2), one document per provider."""

from __future__ import annotations

from typing import Any

from camgate.domain import SCOPES


def server_metadata(issuer: str) -> dict[str, Any]:
    """The metadata of the provider whose issuer URL is ``issuer`` (no trailing slash)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth2/auth",
        "token_endpoint": f"{issuer}/oauth2/token",
        "revocation_endpoint": f"{issuer}/oauth2/revoke",
        "introspection_endpoint": f"{issuer}/oauth2/introspect",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,  # RFC 9207 §3
        "service_documentation": f"{issuer}/docs",
    }
