"""Brute-force counters in the database, shared by every worker and machine.

A key (``login:…``, ``ip:…``, ``client:…``) counts failures in a window; reaching its limit locks
it for a while, and each further lock doubles, up to a ceiling. Counting is one atomic upsert, so
concurrent failures on several workers are all counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from camgate.store.database import Database
from camgate.store.models import UTCDateTime, throttle_counters


@dataclass(frozen=True, slots=True)
class Limit:
    max_failures: int
    lock_seconds: int
    max_lock_seconds: int
    window_seconds: int


class DbThrottle:
    def __init__(self, db: Database, limit_for: Callable[[str], Limit]) -> None:
        self.db = db
        self.limit_for = limit_for

    async def retry_after(self, key: str) -> int:
        now = datetime.now(UTC)
        async with self.db.read() as conn:
            until = await conn.scalar(select(throttle_counters.c.locked_until).where(throttle_counters.c.key == key))
        if until is None or until <= now:
            return 0
        return max(1, int((until - now).total_seconds() + 0.999))

    async def failure(self, key: str) -> None:
        await self._count(key, honour_lock=False)

    async def reserve(self, key: str) -> int:
        """Count an attempt *before* it is checked: 0 if it may go ahead, else the seconds to wait.

        Checking the lock first and counting the failure afterwards lets a burst of concurrent
        guesses all pass the check before any of them is counted. Counting first, in one atomic
        statement, lets exactly ``max_failures`` attempts through per lock, however many workers
        and requests race. A locked key is not counted further (its owner's next window starts
        clean); ``success`` clears the reservation of an attempt that turned out right.
        """
        return await self._count(key, honour_lock=True)

    async def _count(self, key: str, *, honour_lock: bool) -> int:
        limit = self.limit_for(key)
        now = datetime.now(UTC)
        window_open = now - timedelta(seconds=limit.window_seconds)
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        t = throttle_counters
        stale = t.c.window_start < window_open
        locked = t.c.locked_until.is_not(None) & (t.c.locked_until > literal(now, UTCDateTime()))
        counted = case((stale, 1), else_=t.c.failures + 1)
        upsert = insert(t).values(key=key, failures=1, window_start=now, lock_count=0)
        stmt = upsert.on_conflict_do_update(
            index_elements=[t.c.key],
            set_={
                "failures": case((locked, t.c.failures), else_=counted) if honour_lock else counted,
                "window_start": case((stale, literal(now, UTCDateTime())), else_=t.c.window_start),
            },
        ).returning(t.c.failures, t.c.lock_count, t.c.locked_until)
        async with self.db.transaction() as conn:
            row = (await conn.execute(stmt)).one()
            if honour_lock and row.locked_until is not None and row.locked_until > now:
                return max(1, int((row.locked_until - now).total_seconds() + 0.999))
            if row.failures >= limit.max_failures:
                lock = min(limit.lock_seconds * 2 ** min(row.lock_count, 20), limit.max_lock_seconds)
                await conn.execute(
                    update(t)
                    .where(t.c.key == key)
                    .values(failures=0, lock_count=t.c.lock_count + 1, locked_until=now + timedelta(seconds=lock))
                )
        return 0

    async def success(self, key: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                update(throttle_counters)
                .where(throttle_counters.c.key == key)
                .values(failures=0, lock_count=0, locked_until=None)
            )


async def purge_stale_counters(db: Database, *, older_than: timedelta = timedelta(days=1), batch: int = 5000) -> int:
    """Delete counters whose window opened over ``older_than`` ago and that hold no running lock.

    Guessing at unknown emails creates one row per email; ``camgate purge`` keeps the table small.
    Each batch is its own short transaction, as in ``store.purge``.
    """
    now = datetime.now(UTC)
    t = throttle_counters
    stale = (t.c.window_start < now - older_than) & (t.c.locked_until.is_(None) | (t.c.locked_until < now))
    total = 0
    while True:
        async with db.transaction() as conn:
            keys = select(t.c.key).where(stale).limit(batch).scalar_subquery()
            result = await conn.execute(delete(t).where(t.c.key.in_(keys)))
        total += result.rowcount or 0
        if (result.rowcount or 0) < batch:
            return total
