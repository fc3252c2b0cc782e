"""The authorization endpoint's bad input, on a real server (RFC 6749 §4.1.2.1, RFC 9207, RFC 9700).

An untrusted client or redirect URI gets an error page and never a redirect; anything else goes
back to the verified redirect URI with ``error``, ``state`` and ``iss`` — 302 after a GET, 303
after a POST. Malformed bytes are a 400 page, never a 500.
"""

from __future__ import annotations

import httpx

from camgate.oauth.params import MAX_VALUE_CHARS
from tests.factories import World
from tests.flows import login, pkce_pair, query_of
from tests.support import LiveServer


def params_for(world: World, **change: str) -> dict[str, str]:
    base = {
        "response_type": "code",
        "client_id": world.a.app.client_id,
        "redirect_uri": world.a.app.redirect_uri,
        "scope": "read",
        "state": "s-1",
    }
    base.update(change)
    return {k: v for k, v in base.items() if v != ""}


def test_untrusted_requests_get_an_error_page_never_a_redirect(server: LiveServer, world: World) -> None:
    cases = {
        "unknown client": params_for(world, client_id="nope"),
        "no client": params_for(world, client_id=""),
        "another provider's client": params_for(world, client_id=world.b.app.client_id),
        "unregistered redirect": params_for(world, redirect_uri="https://evil.example/cb"),
        "near-miss redirect": params_for(world, redirect_uri=world.a.app.redirect_uri + "/"),
        "redirect with extra query": params_for(world, redirect_uri=world.a.app.redirect_uri + "?x=1"),
    }
    with httpx.Client(base_url=server.url) as client:
        for name, params in cases.items():
            for method in ("GET", "POST"):
                answer = client.request(method, "/oauth2/auth", params=params)
                assert answer.status_code == 400, (name, method)
                assert "location" not in answer.headers, name
                assert "text/html" in answer.headers["content-type"]
                assert "evil.example" not in answer.text


def test_malformed_bytes_are_a_400_page(server: LiveServer, world: World) -> None:
    ok = httpx.QueryParams(params_for(world))
    raw = [
        f"{ok}&state=twice",  # repeated parameter
        f"{ok}&redirect_url={world.a.app.redirect_uri}",  # the alias repeats redirect_uri
        f"{ok}&nonce=%ff%fe",  # not UTF-8
        f"{ok}&nonce=a%00b",  # NUL
        f"{ok}&nonce=a%0d%0aSet-Cookie:x=1",  # CRLF
        f"{ok}&nonce={'x' * (MAX_VALUE_CHARS + 1)}",  # oversized value
        "&".join(f"p{i}=1" for i in range(80)),  # too many parameters
    ]
    with httpx.Client(base_url=server.url) as client:
        for query in raw:
            answer = client.get(f"/oauth2/auth?{query}")
            assert answer.status_code == 400, query[:80]
            assert "location" not in answer.headers
            assert "Set-Cookie: x" not in answer.text
        # the same rule for a query and a form body given together
        answer = client.post("/oauth2/auth", params=params_for(world), data={"client_id": world.a.app.client_id})
        assert answer.status_code == 400
        assert "more than once" in answer.text


def test_other_errors_redirect_with_error_state_and_iss(server: LiveServer, world: World) -> None:
    _, challenge = pkce_pair()
    cases = {
        "unsupported_response_type": params_for(world, response_type="token"),
        "invalid_scope": params_for(world, scope="read,admin"),
        "invalid_request": params_for(world, code_challenge=challenge, code_challenge_method="plain"),
    }
    with httpx.Client(base_url=server.url) as client:
        for error, params in cases.items():
            got = client.get("/oauth2/auth", params=params)
            assert got.status_code == 302, error
            location = got.headers["location"]
            assert location.startswith(world.a.app.redirect_uri + "?")
            assert query_of(location)["error"] == error
            assert query_of(location)["state"] == "s-1"
            assert query_of(location)["iss"] == server.url
            posted = client.post("/oauth2/auth/", params=params)  # trailing slash, POST
            assert posted.status_code == 303, error
            assert query_of(posted.headers["location"])["error"] == error


def test_pkce_required_app(server: LiveServer, world: World) -> None:
    app = world.a.pkce_app
    base = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, "state": "p"}
    got = httpx.get(f"{server.url}/oauth2/auth", params=base)
    assert got.status_code == 302
    assert query_of(got.headers["location"])["error"] == "invalid_request"
    # RFC 8252 §7.3: the loopback redirect registered without a port accepts any port
    _, challenge = pkce_pair()
    ok = {
        **base,
        "redirect_uri": "http://127.0.0.1:40123/native",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = httpx.get(f"{server.url}/oauth2/auth", params=ok)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith("/login?")


def test_not_logged_in_goes_to_login_and_back(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url) as client:
        got = client.get("/oauth2/auth", params=params_for(world, scope="read,write"))
        assert got.status_code == 302
        back = query_of(got.headers["location"])["next"]
        assert back.startswith("/oauth2/auth?")
        # POST with a form body (and a trailing slash) works the same, answered with 303
        posted = client.post("/oauth2/auth/", data=params_for(world, scope="read,write"))
        assert posted.status_code == 303
        assert query_of(posted.headers["location"])["next"] == back
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        page = client.get(back)
        assert page.status_code == 200
        assert "Integration" in page.text


def test_consent_without_csrf_is_refused(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        answer = client.post("/oauth2/consent", params=params_for(world), data={"decision": "allow"})
        assert answer.status_code == 403
        assert "location" not in answer.headers
