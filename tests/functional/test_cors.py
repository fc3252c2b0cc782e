"""A browser app on another origin can do the document's secretless flow; no page is exposed."""

from __future__ import annotations

import httpx

from tests.factories import World
from tests.flows import authorization_code, pkce_pair
from tests.support import LiveServer

ORIGIN = "https://spa.example"


def test_a_browser_app_swaps_its_code_calls_the_api_and_revokes_cross_origin(server: LiveServer, world: World) -> None:
    app = world.a.app
    preflight = httpx.options(
        f"{server.url}/oauth2/token",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers

    verifier, challenge = pkce_pair()
    got = authorization_code(
        server.url,
        world.a.owner.email,
        world.a.password,
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": app.redirect_uri,
            "scope": "read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    token = httpx.post(
        f"{server.url}/oauth2/token",
        headers={"Origin": ORIGIN},
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "code": got["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200 and "refresh_token" not in token.json()
    assert token.headers["access-control-allow-origin"] == "*"
    access = token.json()["access_token"]

    api = httpx.post(
        f"{server.url}/api/graphql.php",
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {access}"},
        json={"query": "{cameraList{name}}"},
    )
    assert api.status_code == 200 and api.headers["access-control-allow-origin"] == "*"

    revoked = httpx.post(f"{server.url}/oauth2/revoke", headers={"Origin": ORIGIN}, data={"access_token": access})
    assert revoked.json()["success"] is True and revoked.headers["access-control-allow-origin"] == "*"


def test_pages_and_introspection_get_no_cors(server: LiveServer, world: World) -> None:
    for path in ("/login", "/portal/api", "/oauth2/auth", "/oauth2/introspect"):
        answer = httpx.options(
            f"{server.url}{path}", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in answer.headers, path
    page = httpx.get(f"{server.url}/login", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in page.headers
