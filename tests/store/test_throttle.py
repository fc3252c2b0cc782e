"""``store.throttle``: failures counted atomically across workers, locks that double."""

from __future__ import annotations

import asyncio

from camgate.config import Settings
from camgate.store.database import open_database
from camgate.store.throttle import DbThrottle, Limit
from tests.support import create_schema, run


def test_lock_after_the_limit_doubling_and_reset(settings: Settings) -> None:
    run(create_schema(settings))

    async def go() -> None:
        db = open_database(settings)
        try:
            throttle = DbThrottle(
                db, lambda key: Limit(max_failures=3, lock_seconds=10, max_lock_seconds=25, window_seconds=600)
            )
            assert await throttle.retry_after("k") == 0
            # concurrent failures are all counted (one atomic upsert each)
            await asyncio.gather(*(throttle.failure("k") for _ in range(2)))
            assert await throttle.retry_after("k") == 0
            await throttle.failure("k")
            assert 9 <= await throttle.retry_after("k") <= 10
            assert await throttle.retry_after("other") == 0
            for _ in range(3):
                await throttle.failure("k")
            assert 19 <= await throttle.retry_after("k") <= 20  # doubled
            for _ in range(3):
                await throttle.failure("k")
            assert 24 <= await throttle.retry_after("k") <= 25  # capped
            await throttle.success("k")
            assert await throttle.retry_after("k") == 0
        finally:
            await db.dispose()

    run(go())
