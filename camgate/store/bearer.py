"""The one query behind every bearer check: token, user, grant and app in a single round-trip."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import BearerRecord, Role, TokenPrincipal, User, parse_scope_list
from camgate.store.models import access_tokens, grants, oauth_apps, personal_tokens, users

_USER_COLS = (
    users.c.id.label("u_id"),
    users.c.provider_id.label("u_provider_id"),
    users.c.organization_id,
    users.c.email,
    users.c.role,
    users.c.rights,
    users.c.is_active,
)

_ACCESS = (
    select(
        access_tokens.c.id,
        access_tokens.c.display_prefix,
        access_tokens.c.provider_id,
        access_tokens.c.scopes,
        access_tokens.c.app_id,
        access_tokens.c.grant_id,
        access_tokens.c.created_at,
        access_tokens.c.expires_at,
        access_tokens.c.revoked_at,
        grants.c.revoked_at.label("grant_revoked_at"),
        oauth_apps.c.client_id,
        *_USER_COLS,
    )
    .join(users, users.c.id == access_tokens.c.user_id)
    .join(grants, grants.c.id == access_tokens.c.grant_id)
    .join(oauth_apps, oauth_apps.c.id == access_tokens.c.app_id)
)

_PERSONAL = select(
    personal_tokens.c.id,
    personal_tokens.c.display_prefix,
    personal_tokens.c.provider_id,
    personal_tokens.c.scopes,
    personal_tokens.c.created_at,
    personal_tokens.c.expires_at,
    personal_tokens.c.revoked_at,
    *_USER_COLS,
).join(users, users.c.id == personal_tokens.c.user_id)


def _user(row: Row) -> User:
    """The token's user; a guest's cameras are loaded only by the API fields that need them."""
    return User(
        id=row.u_id,
        provider_id=row.u_provider_id,
        organization_id=row.organization_id,
        email=row.email,
        role=Role(row.role),
        rights=parse_scope_list(row.rights),
        is_active=row.is_active,
    )


async def access_token_record(conn: AsyncConnection, token_hash: str) -> BearerRecord | None:
    row = (await conn.execute(_ACCESS.where(access_tokens.c.token_hash == token_hash))).first()
    if row is None:
        return None
    principal = TokenPrincipal(
        kind="access",
        token_id=row.id,
        display_prefix=row.display_prefix,
        provider_id=row.provider_id,
        user=_user(row),
        scopes=parse_scope_list(row.scopes),
        app_id=row.app_id,
        client_id=row.client_id,
        grant_id=row.grant_id,
        expires_at=row.expires_at,
        issued_at=row.created_at,
    )
    return BearerRecord(principal, revoked=row.revoked_at is not None or row.grant_revoked_at is not None)


async def personal_token_record(conn: AsyncConnection, token_hash: str) -> BearerRecord | None:
    row = (await conn.execute(_PERSONAL.where(personal_tokens.c.token_hash == token_hash))).first()
    if row is None:
        return None
    principal = TokenPrincipal(
        kind="personal",
        token_id=row.id,
        display_prefix=row.display_prefix,
        provider_id=row.provider_id,
        user=_user(row),
        scopes=parse_scope_list(row.scopes),
        app_id=None,
        client_id=None,
        grant_id=None,
        expires_at=row.expires_at,
        issued_at=row.created_at,
    )
    return BearerRecord(principal, revoked=row.revoked_at is not None)


async def record_last_used(
    conn: AsyncConnection, *, access: dict[int, datetime], personal: dict[int, datetime], grant: dict[int, datetime]
) -> None:
    """Write the buffered "last used" times in one batch (not one write per API request).

    Several workers flush independently: a time only ever moves forward, so a worker flushing an
    older observation after another's newer one changes nothing.
    """
    for table, seen in ((access_tokens, access), (personal_tokens, personal), (grants, grant)):
        for row_id, when in seen.items():
            await conn.execute(
                update(table)
                .where(table.c.id == row_id, or_(table.c.last_used_at.is_(None), table.c.last_used_at < when))
                .values(last_used_at=when)
            )
