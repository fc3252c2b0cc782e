"""Authlib's requests ``OAuth2Session``, unchanged, against a real camgate: PKCE S256, both
client authentication methods, refresh and revoke (RFC 6749, 7636, 7009)."""

from __future__ import annotations

import pytest
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.clients.consent import allow, introspect
from tests.factories import World
from tests.support import LiveServer


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_authorization_code_with_pkce_refresh_and_revoke(server: LiveServer, world: World, auth_method: str) -> None:
    app = world.a.app
    session = OAuth2Session(
        app.client_id,
        app.client_secret,
        scope="read write",
        redirect_uri=app.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method=auth_method,
    )
    verifier = generate_token(48)
    url, state = session.create_authorization_url(f"{server.url}/oauth2/auth", code_verifier=verifier)
    redirect = allow(server.url, url, world.a.owner.email, world.a.password)
    assert f"state={state}" in redirect

    token = session.fetch_token(f"{server.url}/oauth2/token", authorization_response=redirect, code_verifier=verifier)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == "read write"
    assert introspect(server.url, app.client_id, app.client_secret, token["access_token"])["active"] is True

    renewed = session.refresh_token(f"{server.url}/oauth2/token", refresh_token=token["refresh_token"])
    assert renewed["refresh_token"] != token["refresh_token"]
    assert renewed["access_token"] != token["access_token"]

    answer = session.revoke_token(
        f"{server.url}/oauth2/revoke", token=renewed["refresh_token"], token_type_hint="refresh_token"
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["success"] is True
    assert introspect(server.url, app.client_id, app.client_secret, renewed["access_token"]) == {"active": False}


def test_pkce_required_app_with_a_public_client(server: LiveServer, world: World) -> None:
    """No secret: the document's one-time access (an access token, no refresh token)."""
    app = world.a.pkce_app
    session = OAuth2Session(
        app.client_id,
        scope="read",
        redirect_uri=app.redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = generate_token(48)
    url, _state = session.create_authorization_url(f"{server.url}/oauth2/auth", code_verifier=verifier)
    redirect = allow(server.url, url, world.a.owner.email, world.a.password)
    token = session.fetch_token(f"{server.url}/oauth2/token", authorization_response=redirect, code_verifier=verifier)
    assert "refresh_token" not in token
    assert introspect(server.url, app.client_id, app.client_secret, token["access_token"])["active"] is True
