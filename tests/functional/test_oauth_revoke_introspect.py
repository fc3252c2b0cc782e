"""Revocation (the document + RFC 7009), introspection (RFC 7662) and metadata (RFC 8414) per
provider, on a real server."""

from __future__ import annotations

from typing import Any

import httpx

from camgate.tokens import TokenKind, mint
from tests.factories import AppCreds, World
from tests.flows import authorization_code
from tests.support import LiveServer


def tokens_for(server: LiveServer, world: World, app: AppCreds | None = None) -> dict[str, Any]:
    app = app or world.a.app
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, "scope": "read"}
    code = authorization_code(server.url, world.a.owner.email, world.a.password, params)["code"]
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        auth=(app.client_id, app.client_secret),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def introspect(server: LiveServer, app: AppCreds, token: str, base: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{base or server.url}/oauth2/introspect", data={"token": token}, auth=(app.client_id, app.client_secret)
    )


def test_revocation_forms(server: LiveServer, world: World) -> None:
    app, other = world.a.app, world.a.pkce_app
    revoke = f"{server.url}/oauth2/revoke"
    # token= needs client authentication
    first = tokens_for(server, world)
    answer = httpx.post(revoke, data={"token": first["access_token"]})
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    answer = httpx.post(revoke, data={"token": first["access_token"], "client_id": app.client_id})
    assert answer.status_code == 401
    # …and refuses another client's token (RFC 7009 §2.1)
    answer = httpx.post(revoke, data={"token": first["access_token"]}, auth=(other.client_id, other.client_secret))
    assert answer.status_code == 400 and answer.json()["error"] == "unauthorized_client"
    assert introspect(server, app, first["access_token"]).json()["active"] is True
    # with its own client: the refresh token revokes the whole grant
    answer = httpx.post(
        revoke,
        data={"token": first["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(app.client_id, app.client_secret),
    )
    assert answer.status_code == 200
    assert answer.json() == {"success": True, "message": answer.json()["message"]}
    assert answer.headers["cache-control"] == "no-store"
    assert introspect(server, app, first["access_token"]).json() == {"active": False}
    # the document's access_token= needs no client authentication
    second = tokens_for(server, world)
    assert httpx.post(f"{revoke}?access_token={second['access_token']}").json()["success"] is True
    assert introspect(server, app, second["access_token"]).json() == {"active": False}
    refresh = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(app.client_id, app.client_secret),
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    # unknown, malformed, already revoked: success all the same (RFC 7009 §2.2)
    for value in ("nonsense", mint(TokenKind.ACCESS), mint(TokenKind.REFRESH), second["access_token"]):
        assert httpx.post(revoke, data={"access_token": value}).json()["success"] is True
        answer = httpx.post(revoke, data={"token": value}, auth=(app.client_id, app.client_secret))
        assert answer.status_code == 200 and answer.json()["success"] is True
    # malformed requests
    assert httpx.post(revoke).json()["error"] == "invalid_request"
    both = httpx.post(revoke, data={"access_token": "a", "token": "b"})
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    twice = httpx.post(f"{revoke}?access_token=a", data={"access_token": "b"})
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"


def test_a_token_of_provider_a_is_unknown_at_provider_b(server: LiveServer, world: World) -> None:
    first = tokens_for(server, world)
    b_url = server.url_for_host("localhost")
    assert introspect(server, world.b.app, first["access_token"], base=b_url).json() == {"active": False}
    # the document's revoke at B answers success but leaves A's token alone
    assert httpx.post(f"{b_url}/oauth2/revoke", data={"access_token": first["access_token"]}).json()["success"]
    assert introspect(server, world.a.app, first["access_token"]).json()["active"] is True
    # A's client is unknown at B
    answer = introspect(server, world.a.app, first["access_token"], base=b_url)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_introspection_answers(server: LiveServer, world: World) -> None:
    app = world.a.app
    first = tokens_for(server, world)
    got = introspect(server, app, first["access_token"])
    assert got.status_code == 200 and got.headers["cache-control"] == "no-store"
    body = got.json()
    assert body["active"] is True
    assert body["scope"] == "read"
    assert body["client_id"] == app.client_id
    assert body["username"] == world.a.owner.email
    assert body["iss"] == server.url
    assert body["exp"] - body["iat"] == 3600
    # any client of the provider may ask (a resource server is a client too)
    other = world.a.pkce_app
    assert introspect(server, other, first["access_token"]).json()["active"] is True
    assert introspect(server, app, first["refresh_token"]).json() == {"active": False}
    assert introspect(server, app, "garbage").json() == {"active": False}
    no_auth = httpx.post(f"{server.url}/oauth2/introspect", data={"token": first["access_token"]})
    assert no_auth.status_code == 401 and no_auth.json()["error"] == "invalid_client"
    wrong = httpx.post(
        f"{server.url}/oauth2/introspect", data={"token": first["access_token"]}, auth=(app.client_id, "cgs_wrong")
    )
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic")
    missing = httpx.post(f"{server.url}/oauth2/introspect", auth=(app.client_id, app.client_secret))
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"


def test_metadata_per_provider(server: LiveServer, world: World) -> None:
    for base in (server.url, server.url_for_host("localhost")):
        answer = httpx.get(f"{base}/.well-known/oauth-authorization-server")
        assert answer.status_code == 200
        doc = answer.json()
        assert doc["issuer"] == base
        assert doc["authorization_endpoint"] == f"{base}/oauth2/auth"
        assert doc["token_endpoint"] == f"{base}/oauth2/token"
        assert doc["revocation_endpoint"] == f"{base}/oauth2/revoke"
        assert doc["introspection_endpoint"] == f"{base}/oauth2/introspect"
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["authorization_response_iss_parameter_supported"] is True
        assert "client_secret_basic" in doc["token_endpoint_auth_methods_supported"]


def test_issuer_on_the_redirect_is_the_providers(server: LiveServer, world: World) -> None:
    b_url = server.url_for_host("localhost")
    app = world.b.app
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, "state": "b"}
    got = authorization_code(b_url, world.b.owner.email, world.b.password, params)
    assert got["iss"] == b_url and got["state"] == "b"
    # A's owner cannot log in at B
    with httpx.Client(base_url=b_url) as client:
        from tests.flows import login

        assert login(client, world.a.owner.email, world.a.password).status_code != 303
