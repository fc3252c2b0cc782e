"""Personal API tokens, made by full-access accounts in the portal or the CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import format_scopes, parse_scope_list
from camgate.store.models import personal_tokens


@dataclass(frozen=True, slots=True)
class PersonalToken:
    id: int
    user_id: int
    name: str
    display_prefix: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


async def add_personal_token(
    conn: AsyncConnection,
    *,
    token_hash: str,
    display_prefix: str,
    provider_id: int,
    user_id: int,
    name: str,
    scopes: Iterable[str],
    now: datetime,
    expires_at: datetime | None,
) -> int:
    return int(
        await conn.scalar(
            insert(personal_tokens)
            .values(
                token_hash=token_hash,
                display_prefix=display_prefix,
                provider_id=provider_id,
                user_id=user_id,
                name=name,
                scopes=format_scopes(scopes),
                created_at=now,
                expires_at=expires_at,
            )
            .returning(personal_tokens.c.id)
        )
    )


async def personal_tokens_of(conn: AsyncConnection, user_id: int) -> list[PersonalToken]:
    rows = await conn.execute(
        select(personal_tokens).where(personal_tokens.c.user_id == user_id).order_by(personal_tokens.c.id.desc())
    )
    return [
        PersonalToken(
            id=r.id,
            user_id=r.user_id,
            name=r.name,
            display_prefix=r.display_prefix,
            scopes=parse_scope_list(r.scopes),
            created_at=r.created_at,
            expires_at=r.expires_at,
            revoked_at=r.revoked_at,
            last_used_at=r.last_used_at,
        )
        for r in rows.all()
    ]


async def revoke_personal_token(conn: AsyncConnection, token_id: int, *, user_id: int, now: datetime) -> bool:
    """Revoke one of ``user_id``'s tokens; False if it is not theirs or already revoked."""
    got = await conn.scalar(
        update(personal_tokens)
        .where(
            personal_tokens.c.id == token_id,
            personal_tokens.c.user_id == user_id,
            personal_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .returning(personal_tokens.c.id)
    )
    return got is not None


async def revoke_personal_token_by_id(conn: AsyncConnection, token_id: int, now: datetime) -> bool:
    """Revoke one personal token; True if it was live (a change the cache's triggers announce)."""
    changed = await conn.execute(
        update(personal_tokens)
        .where(personal_tokens.c.id == token_id, personal_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(changed.rowcount)


async def revoke_all_of_user(conn: AsyncConnection, user_id: int, now: datetime) -> None:
    await conn.execute(
        update(personal_tokens)
        .where(personal_tokens.c.user_id == user_id, personal_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
