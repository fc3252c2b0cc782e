"""Refresh tokens, revocation, expiry, guest rights and the API's bearer rules.

RFC 6749 §6 and §10.4, RFC 9700 §4.14 (refresh token protection), RFC 7009 §2.1, RFC 6750 §2.3 and
§5.3 (no tokens in URLs), RFC 6819 §5.2.2.
"""

from __future__ import annotations

import httpx

from camgate.config import Settings
from tests.factories import World
from tests.flows import authorization_code, form_fields, login, open_consent
from tests.security.helpers import (
    assert_oauth_error,
    auth_params,
    exchange,
    expire,
    is_active,
    refresh,
    tokens,
)
from tests.support import LiveServer

CAMERAS = {"query": "{cameraList{name}}"}


def test_refresh_token_reuse_revokes_the_grant(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.14.2: with rotation, a refresh token used twice means it leaked: the server
    "cannot determine which party submitted the invalid refresh token" so it revokes the active one."""
    app = world.a.app
    first = tokens(server.url, world.a)
    second = refresh(server.url, app, first["refresh_token"])
    assert second.status_code == 200
    renewed = second.json()
    assert_oauth_error(refresh(server.url, app, first["refresh_token"]), "invalid_grant")
    assert not is_active(server.url, app, renewed["access_token"])
    assert_oauth_error(refresh(server.url, app, renewed["refresh_token"]), "invalid_grant")


def test_refresh_by_another_client_is_refused_and_burns_nothing(server: LiveServer, world: World) -> None:
    """RFC 6749 §6: "ensure that the refresh token was issued to the authenticated client";
    the rightful client's token stays usable (the attempt is rolled back)."""
    first = tokens(server.url, world.a)
    assert_oauth_error(refresh(server.url, world.a.pkce_app, first["refresh_token"]), "invalid_grant")
    assert refresh(server.url, world.a.app, first["refresh_token"]).status_code == 200


def test_refresh_cannot_escalate_scope(server: LiveServer, world: World) -> None:
    """RFC 6749 §6: the requested scope "MUST NOT include any scope not originally granted"."""
    first = tokens(server.url, world.a, scope="read")
    escalated = refresh(server.url, world.a.app, first["refresh_token"], scope="read,write")
    assert_oauth_error(escalated, "invalid_scope")
    narrowed = refresh(server.url, world.a.app, first["refresh_token"], scope="read")
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "read"


def test_refresh_without_or_with_a_wrong_secret_is_invalid_client(server: LiveServer, world: World) -> None:
    """RFC 6749 §6: "authenticate the client if client authentication is included" — and the document
    ties refresh tokens to client_secret; RFC 6749 §5.2: invalid_client with 401."""
    first = tokens(server.url, world.a)
    app = world.a.app
    no_secret = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "refresh_token", "client_id": app.client_id, "refresh_token": first["refresh_token"]},
    )
    assert_oauth_error(no_secret, "invalid_client", 401)
    wrong = refresh(server.url, app, first["refresh_token"], client_secret="cgs_wrong")
    assert_oauth_error(wrong, "invalid_client", 401)
    assert refresh(server.url, app, first["refresh_token"]).status_code == 200


def test_expired_refresh_token_is_refused(server: LiveServer, world: World, settings: Settings) -> None:
    """RFC 6749 §6 / §5.2: an expired refresh token is invalid_grant."""
    first = tokens(server.url, world.a)
    expire(settings, "refresh", first["refresh_token"])
    assert_oauth_error(refresh(server.url, world.a.app, first["refresh_token"]), "invalid_grant")


def test_expired_access_token_is_refused(server: LiveServer, world: World, settings: Settings) -> None:
    """RFC 6750 §3.1 invalid_token / RFC 7662 §2.2 active=false for an expired token."""
    first = tokens(server.url, world.a)
    expire(settings, "access", first["access_token"])
    assert not is_active(server.url, world.a.app, first["access_token"])
    api = httpx.post(
        f"{server.url}/api/graphql.php", json=CAMERAS, headers={"Authorization": f"Bearer {first['access_token']}"}
    )
    assert api.status_code == 401


def test_revoked_tokens_are_refused_everywhere(server: LiveServer, world: World) -> None:
    """RFC 7009 §2.1 / the document: revoking the access token cancels it "even with its refresh token"."""
    first = tokens(server.url, world.a)
    headers = {"Authorization": f"Bearer {first['access_token']}"}
    assert httpx.post(f"{server.url}/api/graphql.php", json=CAMERAS, headers=headers).status_code == 200
    revoked = httpx.post(f"{server.url}/oauth2/revoke", params={"access_token": first["access_token"]})
    assert revoked.json()["success"] is True
    assert httpx.post(f"{server.url}/api/graphql.php", json=CAMERAS, headers=headers).status_code == 401
    assert not is_active(server.url, world.a.app, first["access_token"])
    assert_oauth_error(refresh(server.url, world.a.app, first["refresh_token"]), "invalid_grant")


def test_a_client_cannot_revoke_another_clients_token(server: LiveServer, world: World) -> None:
    """RFC 7009 §2.1: the server "verifies whether the token was issued to the client making the
    revocation request. If this validation fails, the request is refused"."""
    first = tokens(server.url, world.a)
    other = world.a.pkce_app
    answer = httpx.post(
        f"{server.url}/oauth2/revoke",
        data={"token": first["refresh_token"], "client_id": other.client_id, "client_secret": other.client_secret},
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unauthorized_client"
    assert is_active(server.url, world.a.app, first["access_token"])
    assert refresh(server.url, world.a.app, first["refresh_token"]).status_code == 200


def test_token_in_the_url_query_is_refused_by_the_api(server: LiveServer, world: World) -> None:
    """RFC 6750 §2.3 / §5.3: tokens in URLs end up in logs and Referer headers ("SHOULD NOT");
    camgate refuses them outright, even next to a valid header."""
    first = tokens(server.url, world.a)
    alone = httpx.post(f"{server.url}/api/graphql.php", params={"access_token": first["access_token"]}, json=CAMERAS)
    assert alone.status_code in (400, 401)
    assert "data" not in alone.json() or alone.json().get("data") is None
    both = httpx.post(
        f"{server.url}/api/graphql.php",
        params={"access_token": first["access_token"]},
        json=CAMERAS,
        headers={"Authorization": f"Bearer {first['access_token']}"},
    )
    assert both.status_code in (400, 401)


def test_guest_gets_at_most_its_own_rights(server: LiveServer, world: World) -> None:
    """RFC 6749 §3.3: the server "MAY fully or partially ignore the scope requested … based on the
    resource owner's instructions" — a guest (read, liveview; camera "Front door") cannot hand out more."""
    params = auth_params(world.a.app, "read,write,liveview,recordings_delete")
    got = authorization_code(server.url, world.a.guest.email, world.a.password, params)
    answer = exchange(server.url, world.a.app, got["code"])
    assert answer.status_code == 200
    assert answer.json()["scope"] == "read liveview"
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    cams = httpx.post(f"{server.url}/api/graphql.php", json=CAMERAS, headers=headers).json()
    assert cams["data"]["cameraList"] == [{"name": "Front door"}]


def test_guest_asking_only_for_rights_it_lacks_gets_no_code(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.2.1 invalid_scope: the dialog offers no Allow, and a forged Allow gets no code."""
    params = auth_params(world.a.app, "write,recordings_delete", state="g")
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.guest.email, world.a.password).status_code == 303
        page = open_consent(client, params)
        assert 'value="allow"' not in page.text
        fields = form_fields(page.text, "/oauth2/consent")
        answer = client.post("/oauth2/consent", data={**fields, "decision": "allow"})
    assert answer.status_code == 303
    assert "error=invalid_scope" in answer.headers["location"]
    assert "code=" not in answer.headers["location"]
