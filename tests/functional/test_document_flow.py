"""The camera cloud's document, exactly as its examples send it, against a real server."""

from __future__ import annotations

import httpx

from tests.factories import World
from tests.flows import authorization_code
from tests.support import LiveServer


def _code(server: LiveServer, world: World, scope: str = "read,write", state: str | None = "xyz") -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": world.a.app.client_id,
        "redirect_uri": world.a.app.redirect_uri,
        "scope": scope,
    }
    if state is not None:
        params["state"] = state
    return authorization_code(server.url, world.a.owner.email, world.a.password, params)


def test_code_with_secret_gives_access_and_refresh_tokens(server: LiveServer, world: World) -> None:
    got = _code(server, world)
    assert got["state"] == "xyz"
    assert got["iss"] == server.url
    app = world.a.app
    # The document's request: a POST with every parameter in the query string, no body.
    answer = httpx.post(
        f"{server.url}/oauth2/token?client_id={app.client_id}&client_secret={app.client_secret}"
        f"&grant_type=authorization_code&code={got['code']}&redirect_uri={app.redirect_uri}"
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body)[:3] == ["access_token", "expires_in", "refresh_token"]
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write"
    assert answer.headers["cache-control"] == "no-store"


def test_auth_code_spelling_without_secret_gives_access_token_only(server: LiveServer, world: World) -> None:
    got = _code(server, world, scope="read")
    app = world.a.app
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        params={
            "client_id": app.client_id,
            "grant_type": "auth_code",
            "code": got["code"],
            "redirect_url": app.redirect_uri,
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "refresh_token" not in body
    assert body["expires_in"] == 3600


def test_wrong_secret_is_invalid_client_not_the_secretless_answer(server: LiveServer, world: World) -> None:
    got = _code(server, world)
    app = world.a.app
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        params={
            "client_id": app.client_id,
            "client_secret": "cgs_wrong",
            "grant_type": "authorization_code",
            "code": got["code"],
            "redirect_uri": app.redirect_uri,
        },
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_refresh_then_revoke_with_the_documents_access_token_parameter(server: LiveServer, world: World) -> None:
    got = _code(server, world)
    app = world.a.app
    first = httpx.post(
        f"{server.url}/oauth2/token",
        data={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "authorization_code",
            "code": got["code"],
            "redirect_uri": app.redirect_uri,
        },
    ).json()
    second = httpx.post(
        f"{server.url}/oauth2/token",
        params={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
        },
    )
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    introspect = {"client_id": app.client_id, "client_secret": app.client_secret}
    assert httpx.post(f"{server.url}/oauth2/introspect", data={**introspect, "token": renewed["access_token"]}).json()[
        "active"
    ]

    revoked = httpx.post(f"{server.url}/oauth2/revoke?access_token={renewed['access_token']}")
    assert revoked.status_code == 200
    assert revoked.json()["success"] is True
    assert isinstance(revoked.json()["message"], str)
    # "The given access token (even with its refresh token) is canceled."
    assert httpx.post(
        f"{server.url}/oauth2/introspect", data={**introspect, "token": renewed["access_token"]}
    ).json() == {"active": False}
    again = httpx.post(
        f"{server.url}/oauth2/token",
        data={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": renewed["refresh_token"],
        },
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_denied_consent_redirects_with_access_denied_and_state(server: LiveServer, world: World) -> None:
    params = {
        "response_type": "code",
        "client_id": world.a.app.client_id,
        "redirect_uri": world.a.app.redirect_uri,
        "scope": "read",
        "state": "s1",
    }
    got = authorization_code(server.url, world.a.owner.email, world.a.password, params, decision="deny")
    assert got["error"] == "access_denied"
    assert got["state"] == "s1"
    assert "code" not in got
