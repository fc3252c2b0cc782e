"""Small steps the attack suite repeats: get a code, swap it, refresh, introspect, age a row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.store.models import access_tokens, authorization_codes, refresh_tokens
from camgate.tokens import hash_token
from tests.factories import AppCreds, Tenant
from tests.flows import authorization_code
from tests.support import in_transaction


def auth_params(app: AppCreds, scope: str = "read,write", **extra: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, "scope": scope}
    params.update(extra)
    return params


def get_code(
    base_url: str, tenant: Tenant, app: AppCreds | None = None, scope: str = "read,write", **extra: str
) -> str:
    """Log in as the tenant's owner, consent, and return the authorization code."""
    got = authorization_code(
        base_url, tenant.owner.email, tenant.password, auth_params(app or tenant.app, scope, **extra)
    )
    assert "code" in got, got
    return got["code"]


def exchange(
    base_url: str, app: AppCreds, code: str, *, secret: str | None = "", redirect_uri: str | None = "", **extra: str
) -> httpx.Response:
    """POST the code to /oauth2/token; ``secret=""``/``redirect_uri=""`` mean the app's own, None omits."""
    data: dict[str, str] = {"grant_type": "authorization_code", "client_id": app.client_id, "code": code}
    if secret is not None:
        data["client_secret"] = secret or app.client_secret
    if redirect_uri is not None:
        data["redirect_uri"] = redirect_uri or app.redirect_uri
    data.update(extra)
    return httpx.post(f"{base_url}/oauth2/token", data=data)


def tokens(base_url: str, tenant: Tenant, scope: str = "read,write") -> dict[str, Any]:
    answer = exchange(base_url, tenant.app, get_code(base_url, tenant, scope=scope))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def refresh(base_url: str, app: AppCreds, refresh_token: str, **extra: str) -> httpx.Response:
    data = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": refresh_token,
    }
    data.update(extra)
    return httpx.post(f"{base_url}/oauth2/token", data=data)


def is_active(base_url: str, app: AppCreds, token: str) -> bool:
    """RFC 7662 introspection by the tenant's app."""
    answer = httpx.post(
        f"{base_url}/oauth2/introspect",
        data={"client_id": app.client_id, "client_secret": app.client_secret, "token": token},
    )
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["active"])


def expire(settings: Settings, kind: str, value: str) -> None:
    """Move a code's or token's expiry into the past (no test waits for a clock)."""
    table = {"code": authorization_codes, "access": access_tokens, "refresh": refresh_tokens}[kind]
    past = datetime.now(UTC) - timedelta(hours=1)

    async def work(conn: AsyncConnection) -> None:
        column = table.c.code_hash if kind == "code" else table.c.token_hash
        result = await conn.execute(update(table).where(column == hash_token(value)).values(expires_at=past))
        assert result.rowcount == 1

    in_transaction(settings, work)


def assert_oauth_error(answer: httpx.Response, error: str, status: int = 400) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"] == error, answer.text
