"""``camgate purge``: delete what has expired, in bounded batches.

Each batch is its own short transaction (``DELETE … WHERE id IN (SELECT id … LIMIT n)``), so a
purge of millions of rows never holds long locks or blocks the traffic beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete, select

from camgate.store.database import Database
from camgate.store.models import access_tokens, authorization_codes, refresh_tokens, sessions
from camgate.store.throttle import purge_stale_counters

# Expired rows are kept a day so that "last used" and replay detection still see recent ones.
GRACE = timedelta(days=1)


async def _purge_table(db: Database, table: Table, key: str, cutoff: datetime, batch: int) -> int:
    total = 0
    column = table.c[key]
    while True:
        async with db.transaction() as conn:
            ids = select(column).where(table.c.expires_at < cutoff).limit(batch).scalar_subquery()
            result = await conn.execute(delete(table).where(column.in_(ids)))
        total += result.rowcount or 0
        if (result.rowcount or 0) < batch:
            return total


async def purge_expired(db: Database, *, batch: int = 5000) -> dict[str, int]:
    cutoff = datetime.now(UTC) - GRACE
    try:
        return {
            "authorization_codes": await _purge_table(db, authorization_codes, "id", cutoff, batch),
            "access_tokens": await _purge_table(db, access_tokens, "id", cutoff, batch),
            "refresh_tokens": await _purge_table(db, refresh_tokens, "id", cutoff, batch),
            "sessions": await _purge_table(db, sessions, "id_hash", datetime.now(UTC), batch),
            "throttle_counters": await purge_stale_counters(db, batch=batch),
        }
    finally:
        await db.dispose()
