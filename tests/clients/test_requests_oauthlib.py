"""requests-oauthlib's ``OAuth2Session``, unchanged, against a real camgate: PKCE S256, client
authentication by HTTP Basic and in the body, refresh; revocation by RFC 7009 with requests."""

from __future__ import annotations

import pytest
import requests
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from tests.clients.consent import allow, introspect
from tests.factories import World
from tests.support import LiveServer


@pytest.fixture(autouse=True)
def _loopback_http(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses http:// unless told this is a loopback test: its own switch, not ours.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authorization_code_with_pkce_refresh_and_revoke(server: LiveServer, world: World, auth_method: str) -> None:
    app = world.a.app
    token_url = f"{server.url}/oauth2/token"
    session = OAuth2Session(app.client_id, redirect_uri=app.redirect_uri, scope=["read", "write"], pkce="S256")
    url, state = session.authorization_url(f"{server.url}/oauth2/auth")
    assert "code_challenge_method=S256" in url
    redirect = allow(server.url, url, world.a.owner.email, world.a.password)
    assert f"state={state}" in redirect

    if auth_method == "client_secret_basic":
        token = session.fetch_token(token_url, authorization_response=redirect, client_secret=app.client_secret)
        auth: HTTPBasicAuth | None = HTTPBasicAuth(app.client_id, app.client_secret)
        body_creds = {}
    else:
        token = session.fetch_token(
            token_url, authorization_response=redirect, client_secret=app.client_secret, include_client_id=True
        )
        auth = None
        body_creds = {"client_id": app.client_id, "client_secret": app.client_secret}
    assert token["token_type"] == "Bearer"
    assert token["scope"] == ["read", "write"]
    assert introspect(server.url, app.client_id, app.client_secret, token["access_token"])["active"] is True

    renewed = session.refresh_token(token_url, refresh_token=token["refresh_token"], auth=auth, **body_creds)
    assert renewed["refresh_token"] != token["refresh_token"]

    # requests-oauthlib has no revocation helper: an RFC 7009 request through the same session.
    answer = session.post(
        f"{server.url}/oauth2/revoke",
        data={"token": renewed["access_token"], "token_type_hint": "access_token", **body_creds},
        auth=auth,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is True
    assert introspect(server.url, app.client_id, app.client_secret, renewed["access_token"]) == {"active": False}
    # the refresh token went with it
    again = requests.post(
        token_url,
        data={"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]},
        auth=(app.client_id, app.client_secret),
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
