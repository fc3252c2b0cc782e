"""Server-side login sessions: the cookie holds a random id, the table only its SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.store.models import sessions, users


@dataclass(frozen=True, slots=True)
class SessionRecord:
    user_id: int
    provider_id: int
    csrf_secret: str
    expires_at: datetime


async def add_session(
    conn: AsyncConnection,
    *,
    id_hash: str,
    user_id: int,
    csrf_secret: str,
    now: datetime,
    expires_at: datetime,
    ip: str | None,
    user_agent: str | None,
) -> None:
    await conn.execute(
        insert(sessions).values(
            id_hash=id_hash,
            user_id=user_id,
            csrf_secret=csrf_secret,
            created_at=now,
            expires_at=expires_at,
            ip=ip,
            user_agent=(user_agent or "")[:300],
        )
    )


async def session_by_hash(conn: AsyncConnection, id_hash: str, now: datetime) -> SessionRecord | None:
    """A live session of an active user, or None."""
    row = (
        await conn.execute(
            select(sessions.c.user_id, sessions.c.csrf_secret, sessions.c.expires_at, users.c.provider_id)
            .join(users, users.c.id == sessions.c.user_id)
            .where(sessions.c.id_hash == id_hash, sessions.c.expires_at > now, users.c.is_active)
        )
    ).first()
    if row is None:
        return None
    return SessionRecord(row.user_id, row.provider_id, row.csrf_secret, row.expires_at)


async def delete_session(conn: AsyncConnection, id_hash: str) -> None:
    await conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


async def delete_sessions_of_user(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(sessions).where(sessions.c.user_id == user_id))
