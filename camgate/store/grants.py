"""Authorization codes, grants and the OAuth2 access and refresh tokens issued under them.

The single-use rules are enforced by the database, not by a read-then-write in Python: a code is
consumed and a refresh token rotated by one conditional ``UPDATE … WHERE used_at IS NULL
RETURNING``. Under concurrent requests (any number of workers or machines) exactly one of them
gets the row back; the others see nothing and are told the code was already used.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import (
    AuthorizationCode,
    IssuedToken,
    RefreshToken,
    TokenRecord,
    format_scopes,
    parse_scope_list,
)
from camgate.store.models import (
    access_tokens,
    authorization_codes,
    grants,
    personal_tokens,
    refresh_tokens,
)


def _code(row: Row) -> AuthorizationCode:
    return AuthorizationCode(
        id=row.id,
        app_id=row.app_id,
        user_id=row.user_id,
        redirect_uri=row.redirect_uri,
        redirect_uri_given=row.redirect_uri_given,
        scopes=parse_scope_list(row.scopes),
        code_challenge=row.code_challenge,
        code_challenge_method=row.code_challenge_method,
        expires_at=row.expires_at,
        used_at=row.used_at,
        grant_id=row.grant_id,
    )


async def insert_code(
    conn: AsyncConnection,
    *,
    code_hash: str,
    app_id: int,
    user_id: int,
    redirect_uri: str,
    redirect_uri_given: bool,
    scopes: Iterable[str],
    code_challenge: str | None,
    code_challenge_method: str | None,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(authorization_codes).values(
            code_hash=code_hash,
            app_id=app_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            redirect_uri_given=redirect_uri_given,
            scopes=format_scopes(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def consume_code(conn: AsyncConnection, code_hash: str, now: datetime) -> AuthorizationCode | None:
    """Mark the code used and return it; None if it does not exist or was already used."""
    row = (
        await conn.execute(
            update(authorization_codes)
            .where(authorization_codes.c.code_hash == code_hash, authorization_codes.c.used_at.is_(None))
            .values(used_at=now)
            .returning(*authorization_codes.c)
        )
    ).first()
    return _code(row) if row is not None else None


async def find_code(conn: AsyncConnection, code_hash: str) -> AuthorizationCode | None:
    row = (await conn.execute(select(authorization_codes).where(authorization_codes.c.code_hash == code_hash))).first()
    return _code(row) if row is not None else None


async def create_grant(
    conn: AsyncConnection, *, user_id: int, app_id: int, scopes: Iterable[str], now: datetime, code_id: int | None
) -> int:
    grant_id = int(
        await conn.scalar(
            insert(grants)
            .values(user_id=user_id, app_id=app_id, scopes=format_scopes(scopes), created_at=now, last_used_at=now)
            .returning(grants.c.id)
        )
    )
    if code_id is not None:
        await conn.execute(
            update(authorization_codes).where(authorization_codes.c.id == code_id).values(grant_id=grant_id)
        )
    return grant_id


async def insert_access_token(
    conn: AsyncConnection,
    token: IssuedToken,
    *,
    provider_id: int,
    user_id: int,
    app_id: int,
    grant_id: int,
    scopes: Iterable[str],
    now: datetime,
) -> int:
    return int(
        await conn.scalar(
            insert(access_tokens)
            .values(
                token_hash=token.token_hash,
                display_prefix=token.display_prefix,
                provider_id=provider_id,
                user_id=user_id,
                app_id=app_id,
                grant_id=grant_id,
                scopes=format_scopes(scopes),
                created_at=now,
                expires_at=token.expires_at,
            )
            .returning(access_tokens.c.id)
        )
    )


async def insert_refresh_token(
    conn: AsyncConnection,
    token: IssuedToken,
    *,
    provider_id: int,
    user_id: int,
    app_id: int,
    grant_id: int,
    scopes: Iterable[str],
    now: datetime,
) -> int:
    return int(
        await conn.scalar(
            insert(refresh_tokens)
            .values(
                token_hash=token.token_hash,
                display_prefix=token.display_prefix,
                provider_id=provider_id,
                user_id=user_id,
                app_id=app_id,
                grant_id=grant_id,
                scopes=format_scopes(scopes),
                created_at=now,
                expires_at=token.expires_at,
            )
            .returning(refresh_tokens.c.id)
        )
    )


def _refresh(row: Row, grant_revoked: bool) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        provider_id=row.provider_id,
        user_id=row.user_id,
        app_id=row.app_id,
        grant_id=row.grant_id,
        scopes=parse_scope_list(row.scopes),
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        rotated_at=row.rotated_at,
        successor_id=row.successor_id,
        grant_revoked=grant_revoked,
    )


async def rotate_refresh_token(conn: AsyncConnection, token_hash: str, now: datetime) -> RefreshToken | None:
    """Mark a live refresh token rotated and return it; None if unknown, rotated or revoked."""
    # Lock the grant's row before the token's: revocation and reuse detection (``revoke_grant``)
    # lock the grant first too, so concurrent refreshes and revocations of one grant on several
    # workers queue up on one row instead of deadlocking (refresh: token then grant; revoke: grant
    # then tokens — PostgreSQL detected that cycle under tests/security/test_races_workers.py).
    grant_of_token = select(refresh_tokens.c.grant_id).where(refresh_tokens.c.token_hash == token_hash)
    await conn.execute(select(grants.c.id).where(grants.c.id == grant_of_token.scalar_subquery()).with_for_update())
    row = (
        await conn.execute(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.token_hash == token_hash,
                refresh_tokens.c.rotated_at.is_(None),
                refresh_tokens.c.revoked_at.is_(None),
            )
            .values(rotated_at=now, last_used_at=now)
            .returning(*refresh_tokens.c)
        )
    ).first()
    return _refresh(row, grant_revoked=False) if row is not None else None


async def find_refresh_token(conn: AsyncConnection, token_hash: str) -> RefreshToken | None:
    row = (
        await conn.execute(
            select(refresh_tokens, grants.c.revoked_at.label("grant_revoked_at"))
            .join(grants, grants.c.id == refresh_tokens.c.grant_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        )
    ).first()
    return _refresh(row, grant_revoked=row.grant_revoked_at is not None) if row is not None else None


async def touch_live_grant(conn: AsyncConnection, grant_id: int, now: datetime) -> bool:
    """Lock the grant's row for this transaction if it is still live (True), else False.

    A refresh takes this lock before it mints; a revocation updates the same row. Whichever comes
    second waits for the first and then sees its result, so a token minted by a refresh that races
    a revocation is either revoked with the rest or never minted.
    """
    got = await conn.scalar(
        update(grants)
        .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
        .values(last_used_at=now)
        .returning(grants.c.id)
    )
    return got is not None


async def set_successor(conn: AsyncConnection, refresh_id: int, successor_id: int) -> None:
    await conn.execute(
        update(refresh_tokens).where(refresh_tokens.c.id == refresh_id).values(successor_id=successor_id)
    )


async def revoke_grant(conn: AsyncConnection, grant_id: int, now: datetime) -> None:
    """Revoke a grant and every access and refresh token issued under it."""
    await conn.execute(
        update(grants).where(grants.c.id == grant_id, grants.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    for table in (access_tokens, refresh_tokens):
        await conn.execute(
            update(table).where(table.c.grant_id == grant_id, table.c.revoked_at.is_(None)).values(revoked_at=now)
        )


async def live_grant_ids(conn: AsyncConnection, *, user_id: int, app_id: int | None = None) -> list[int]:
    query = select(grants.c.id).where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
    if app_id is not None:
        query = query.where(grants.c.app_id == app_id)
    return list((await conn.scalars(query)).all())


async def find_token(conn: AsyncConnection, token_hash: str, kind: str) -> TokenRecord | None:
    """Any token by hash, for revocation (RFC 7009): ``kind`` is access, refresh or personal."""
    if kind == "personal":
        row = (
            await conn.execute(
                select(personal_tokens.c.id, personal_tokens.c.provider_id, personal_tokens.c.user_id).where(
                    personal_tokens.c.token_hash == token_hash
                )
            )
        ).first()
        return TokenRecord("personal", row.id, row.provider_id, row.user_id, None, None) if row else None
    table = access_tokens if kind == "access" else refresh_tokens
    found = (
        await conn.execute(
            select(table.c.id, table.c.provider_id, table.c.user_id, table.c.app_id, table.c.grant_id).where(
                table.c.token_hash == token_hash
            )
        )
    ).first()
    if found is None:
        return None
    return TokenRecord(kind, found.id, found.provider_id, found.user_id, found.app_id, found.grant_id)
