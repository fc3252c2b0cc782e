"""What may be registered as a redirect URI, and exact matching (RFC 9700 §4.1.3, RFC 8252)."""

from __future__ import annotations

import pytest

from camgate.oauth.redirect_uris import InvalidRedirectURIError, check_registrable, match_redirect_uri


@pytest.mark.parametrize(
    "uri",
    [
        "https://client.example/cb",
        "https://client.example/cb?tenant=1",
        "http://127.0.0.1:8765/callback",
        "http://localhost/cb",
        "com.example.app:/oauth2redirect",
        "http://[::1]/cb",
    ],
)
def test_accepted(uri: str) -> None:
    assert check_registrable(uri) == uri


@pytest.mark.parametrize(
    ("uri", "why"),
    [
        ("", "empty"),
        ("/callback", "absolute"),
        ("client.example/cb", "absolute"),
        ("https://client.example/cb#frag", "fragment"),
        ("javascript:alert(1)", "javascript"),
        ("data:text/html,hi", "data"),
        ("file:///etc/passwd", "file"),
        ("https://user@client.example/cb", "user information"),
        ("https://client.example/a b", "spaces"),
        ("https:///cb", "host"),
        ("https://client.example:99999/cb", "port"),
        ("myapp:/cb", "not allowed"),
        ("https://x.example/" + "a" * 2000, "longer"),
    ],
)
def test_refused(uri: str, why: str) -> None:
    with pytest.raises(InvalidRedirectURIError, match=why):
        check_registrable(uri)


def test_matching_is_exact() -> None:
    registered = ("https://client.example/cb",)
    assert match_redirect_uri("https://client.example/cb", registered)
    for near in ("https://client.example/cb/", "https://CLIENT.example/cb", "https://client.example/cb?x=1"):
        assert not match_redirect_uri(near, registered)


def test_loopback_port_is_free_only_when_registered_without_one() -> None:
    # RFC 8252 §7.3
    assert match_redirect_uri("http://127.0.0.1:51234/native", ("http://127.0.0.1/native",))
    assert match_redirect_uri("http://[::1]:1/native", ("http://[::1]/native",))
    assert not match_redirect_uri("http://127.0.0.1:51234/native", ("http://127.0.0.1:8765/native",))
    assert not match_redirect_uri("http://127.0.0.1:51234/other", ("http://127.0.0.1/native",))
    assert not match_redirect_uri("https://127.0.0.1:51234/native", ("https://127.0.0.1/native",))
    assert not match_redirect_uri("http://127.0.0.1:123456/native", ("http://127.0.0.1/native",))
