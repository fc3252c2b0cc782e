"""Drive the protocol core over the SQL storage, without HTTP: codes and tokens for store tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from camgate.config import Settings
from camgate.oauth import authorize
from camgate.oauth.context import OAuthContext
from camgate.oauth.token_endpoint import token_request
from camgate.store import providers
from camgate.store.database import Database, open_database
from camgate.store.oauth_unit import SqlOAuthStorage
from tests.factories import AppCreds, Tenant


async def context(db: Database, tenant: Tenant) -> OAuthContext:
    async with db.read() as conn:
        provider = await providers.require_provider_for_host(conn, tenant.host)
    return OAuthContext(
        provider=provider, issuer="https://issuer.test", storage=SqlOAuthStorage(db), secret_key=b"store-test-key"
    )


async def code(db: Database, tenant: Tenant, app: AppCreds | None = None, scope: str = "read,write") -> str:
    app = app or tenant.app
    ctx = await context(db, tenant)
    request = await authorize.validate_authorization_request(
        ctx, {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, "scope": scope}
    )
    location = await authorize.approve(ctx, request, tenant.owner)
    return parse_qs(urlsplit(location).query)["code"][0]


async def exchange(db: Database, tenant: Tenant, value: str, app: AppCreds | None = None) -> dict[str, Any]:
    app = app or tenant.app
    ctx = await context(db, tenant)
    params = {
        "grant_type": "authorization_code",
        "code": value,
        "redirect_uri": app.redirect_uri,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    return await token_request(ctx, params, None)


async def refresh(db: Database, tenant: Tenant, value: str, app: AppCreds | None = None) -> dict[str, Any]:
    app = app or tenant.app
    ctx = await context(db, tenant)
    params = {
        "grant_type": "refresh_token",
        "refresh_token": value,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    return await token_request(ctx, params, None)


async def tokens(db: Database, tenant: Tenant, app: AppCreds | None = None) -> dict[str, Any]:
    return await exchange(db, tenant, await code(db, tenant, app), app)


def opened(settings: Settings) -> Database:
    return open_database(settings)
