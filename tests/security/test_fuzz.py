"""Property-based fuzzing (Hypothesis) of the request parsers and of every OAuth endpoint.

RFC 6749 §5.2 and §4.1.2.1, RFC 7009 §2.2.1, RFC 7662 §2.3: whatever the parameters, an endpoint
answers with its RFC's shape — a JSON ``error`` from the RFC's set, or a success body — and never
a 5xx or an escaped exception. The parser either returns clean values or raises invalid_request.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camgate.oauth.errors import InvalidRequestError
from camgate.oauth.params import KNOWN, MAX_PARAMS, MAX_VALUE_CHARS, decode_form, merge_params
from camgate.tokens import TokenKind, mint
from tests.security.conftest import Shared

RFC_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "unsupported_token_type",  # RFC 7009 §2.2.1
}
FUZZ = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
KEYS = sorted(KNOWN | {"redirect_url", "foo", "", "client_id[]", "scope "})


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_decode_form_accepts_or_refuses_any_bytes(raw: bytes) -> None:
    """RFC 6749 Appendix B: any byte string is either a list of decoded pairs or invalid_request."""
    try:
        pairs = decode_form(raw)
    except InvalidRequestError:
        return
    assert len(pairs) <= MAX_PARAMS
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)


@given(st.lists(st.tuples(st.sampled_from(KEYS), st.text(max_size=60)), max_size=12), st.booleans())
@settings(max_examples=300, deadline=None)
def test_merge_params_output_is_always_clean(pairs: list[tuple[str, str]], split: bool) -> None:
    """RFC 6749 §3.1: known parameters at most once, unknown ones dropped, empty ones omitted; camgate's
    limits: no control characters, bounded length."""
    query, body = (pairs[::2], pairs[1::2]) if split else (pairs, [])
    try:
        merged = merge_params(query, body)
    except InvalidRequestError:
        return
    assert set(merged) <= KNOWN
    for value in merged.values():
        assert value and len(value) <= MAX_VALUE_CHARS
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_encoded_text_round_trips_or_is_refused(value: str) -> None:
    """RFC 6749 Appendix B: a value form-encoded by a client decodes to itself (or is refused)."""
    try:
        merged = merge_params(decode_form(urlencode({"state": value}).encode()))
    except InvalidRequestError:
        return
    assert merged.get("state", "") == value


def _values(shared: Shared) -> st.SearchStrategy[str]:
    a = shared.world.a
    real = [
        a.app.client_id,
        a.app.client_secret,
        a.app.redirect_uri,
        a.pkce_app.client_id,
        shared.world.b.app.client_id,
        "authorization_code",
        "auth_code",
        "refresh_token",
        "code",
        "S256",
        "plain",
        "read,write",
        "access_token",
        mint(TokenKind.CODE),
        mint(TokenKind.REFRESH),
        mint(TokenKind.ACCESS),
        "cgc_" + "0" * 49,
    ]
    return st.one_of(st.sampled_from(real), st.text(max_size=80), st.text(alphabet="\x00\r\n%&=+'\";", max_size=10))


def _pairs(shared: Shared) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.tuples(st.sampled_from(KEYS), _values(shared)), max_size=10)


def _send(
    shared: Shared, path: str, pairs: list[tuple[str, str]], in_query: bool, method: str = "POST"
) -> httpx.Response:
    encoded = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    url = f"{shared.server.url}{path}"
    if in_query:
        return httpx.request(method, f"{url}?{encoded}", timeout=30)
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return httpx.request(method, url, content=encoded, headers=headers, timeout=30)


def _assert_rfc_json(answer: httpx.Response) -> dict[str, object]:
    assert answer.status_code < 500, answer.text
    assert answer.headers["content-type"].startswith("application/json"), answer.text[:200]
    body = answer.json()
    assert isinstance(body, dict)
    if answer.status_code >= 400:
        assert body["error"] in RFC_ERRORS, body
        assert isinstance(body.get("error_description", ""), str)
    return body


def test_token_endpoint_fuzz(shared: Shared) -> None:
    """RFC 6749 §5.1/§5.2: random token requests get a token body or an RFC error, never a 5xx."""

    @FUZZ
    @given(_pairs(shared), st.booleans())
    def check(pairs: list[tuple[str, str]], in_query: bool) -> None:
        body = _assert_rfc_json(_send(shared, "/oauth2/token", pairs, in_query))
        assert "error" in body or {"access_token", "expires_in"} <= set(body)

    check()


def test_revocation_endpoint_fuzz(shared: Shared) -> None:
    """RFC 7009 §2.2: success (the document's {"success": true, ...}) or an RFC error, never a 5xx."""

    @FUZZ
    @given(_pairs(shared), st.booleans())
    def check(pairs: list[tuple[str, str]], in_query: bool) -> None:
        body = _assert_rfc_json(_send(shared, "/oauth2/revoke", pairs, in_query))
        assert "error" in body or body.get("success") is True

    check()


def test_introspection_endpoint_fuzz(shared: Shared) -> None:
    """RFC 7662 §2.2/§2.3: {"active": ...} or an RFC error, never a 5xx."""

    @FUZZ
    @given(_pairs(shared), st.booleans())
    def check(pairs: list[tuple[str, str]], in_query: bool) -> None:
        body = _assert_rfc_json(_send(shared, "/oauth2/introspect", pairs, in_query))
        assert "error" in body or isinstance(body.get("active"), bool)

    check()


def test_authorization_endpoint_fuzz(shared: Shared) -> None:
    """RFC 6749 §4.1.2.1: an error page (400), a redirect to the registered URI or to the login page,
    never a 5xx and never a redirect anywhere else."""
    registered = {shared.world.a.app.redirect_uri, *shared.world.a.pkce_app.redirect_uri.split()}

    @FUZZ
    @given(_pairs(shared), st.sampled_from(["GET", "POST"]))
    def check(pairs: list[tuple[str, str]], method: str) -> None:
        answer = _send(shared, "/oauth2/auth", pairs, True, method)
        assert answer.status_code in (200, 302, 303, 400), answer.status_code
        if answer.status_code in (302, 303):
            location = answer.headers["location"]
            assert (
                location.startswith("/login?")
                or any(location.startswith(uri + "?") for uri in registered)
                or (location.startswith("http://127.0.0.1:") and "/native?" in location)
            ), location

    check()
