"""Helpers for the API tests: mint tokens and call the GraphQL endpoint of a live server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.domain import ALL_SCOPES, SCOPES, Role, TokenPrincipal, User
from camgate.store import accounts
from tests.factories import Tenant, make_personal_token
from tests.flows import authorization_code
from tests.support import in_transaction

ALL_RIGHTS = ",".join(SCOPES)


def token_for(settings: Settings, user: User, scopes: str = "read") -> str:
    return in_transaction(settings, lambda conn: make_personal_token(conn, user, scopes))


def gql(
    base_url: str,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    path: str = "/api/graphql",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return httpx.post(base_url + path, json=body, headers=headers, timeout=10)


def data(response: httpx.Response) -> dict[str, Any]:
    """The ``data`` of an answer that must have no errors at all."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def forbidden_scopes(body: dict[str, Any]) -> dict[str, str]:
    """Path (dotted) → the scope named by each FORBIDDEN error."""
    found = {}
    for error in body.get("errors", []):
        if error.get("extensions", {}).get("code") == "FORBIDDEN":
            found[".".join(map(str, error["path"]))] = error["extensions"]["scope"]
    return found


def token_named(settings: Settings, user: User, scopes: str, name: str) -> str:
    return in_transaction(settings, lambda conn: make_personal_token(conn, user, scopes, name=name))


def oauth_token(base_url: str, tenant: Tenant, email: str, scope: str) -> str:
    """An OAuth2 access token for ``email``, through the real login, consent and token exchange."""
    app = tenant.app
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, "scope": scope}
    got = authorization_code(base_url, email, tenant.password, params)
    answer = httpx.post(
        f"{base_url}/oauth2/token",
        data={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "authorization_code",
            "code": got["code"],
            "redirect_uri": app.redirect_uri,
        },
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def set_guest_access(settings: Settings, user: User, rights: tuple[str, ...], camera_ids: list[int]) -> None:
    async def change(conn: AsyncConnection) -> None:
        await accounts.set_guest_access(conn, user_id=user.id, rights=rights, camera_ids=camera_ids)

    in_transaction(settings, change)


def tokens_for(settings: Settings, user: User, wanted: dict[str, str]) -> dict[str, str]:
    """Several personal tokens (name → comma-separated scopes) minted in one transaction."""

    async def mint(conn: AsyncConnection) -> dict[str, str]:
        return {name: await make_personal_token(conn, user, scopes, name=name) for name, scopes in wanted.items()}

    return in_transaction(settings, mint)


def principal(kind: str, *, token_id: int, grant_id: int | None = None) -> TokenPrincipal:
    """A TokenPrincipal for unit tests of the API's bookkeeping."""
    user = User(1, 1, 1, "owner@example.test", Role.FULL, frozenset(), True)
    return TokenPrincipal(
        kind=kind,
        token_id=token_id,
        display_prefix="cga_AbCdEfGh",
        provider_id=1,
        user=user,
        scopes=ALL_SCOPES,
        app_id=None,
        client_id=None,
        grant_id=grant_id,
        expires_at=None,
        issued_at=datetime.now(UTC),
    )
