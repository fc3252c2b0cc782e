"""``store.cache.ReadCache``: what it may serve, and when it must not (no database here)."""

from __future__ import annotations

import asyncio

from camgate.store.cache import ReadCache
from tests.support import run


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def live_cache(seconds: float = 1.0, **kw: object) -> tuple[ReadCache, Clock]:
    clock = Clock()
    cache = ReadCache(seconds, clock=clock, **kw)  # type: ignore[arg-type]
    cache.set_live(True)
    return cache, clock


def test_nothing_is_stored_or_served_while_the_feed_is_down() -> None:
    cache = ReadCache(1.0)
    cache.put("k", "v", cache.generation)
    assert run(cache.get("k")) is None
    cache.set_live(True)
    cache.put("k", "v", cache.generation)
    assert run(cache.get("k")) == "v"
    cache.set_live(False)
    assert run(cache.get("k")) is None
    cache.set_live(True)  # back up: what was cached before the outage is gone
    assert run(cache.get("k")) is None


def test_a_read_that_began_before_an_invalidation_is_not_stored() -> None:
    cache, _ = live_cache()
    before = cache.generation
    cache.invalidate()  # a revocation's notification arrived while the row was being read
    cache.put("k", "stale", before)
    assert run(cache.get("k")) is None
    cache.put("k", "fresh", cache.generation)
    assert run(cache.get("k")) == "fresh"


def test_an_invalidation_empties_the_cache() -> None:
    cache, _ = live_cache()
    cache.put("a", 1, cache.generation)
    cache.put("b", 2, cache.generation)
    cache.invalidate()
    assert len(cache) == 0
    assert run(cache.get("a")) is None


def test_entries_live_no_longer_than_the_bound() -> None:
    cache, clock = live_cache(seconds=1.0)
    cache.put("k", "v", cache.generation)
    clock.now += 0.99
    assert run(cache.get("k")) == "v"
    clock.now += 0.01
    assert run(cache.get("k")) is None
    assert len(cache) == 0


def test_the_cache_is_bounded_and_keeps_the_newest() -> None:
    cache, _ = live_cache(max_entries=10)
    for i in range(25):
        cache.put(i, i, cache.generation)
    assert len(cache) <= 10
    assert run(cache.get(24)) == 24
    assert run(cache.get(0)) is None


def test_a_waiting_notification_is_applied_before_an_entry_is_served() -> None:
    """When the feed says bytes are waiting, one loop iteration runs before the answer: the feed's
    reader (here a callback already scheduled) applies the invalidation first."""

    async def go() -> object:
        cache, _ = live_cache()
        cache.put("k", "v", cache.generation)
        waiting = [True]

        def pending() -> bool:
            if waiting[0]:
                waiting[0] = False
                asyncio.get_running_loop().call_soon(cache.invalidate)
                return True
            return False

        cache.pending = pending
        return await cache.get("k")

    assert run(go()) is None


def test_a_closed_feed_found_while_asking_turns_the_cache_off() -> None:
    async def go() -> tuple[object, bool]:
        cache, _ = live_cache()
        cache.put("k", "v", cache.generation)
        calls = [0]

        def pending() -> bool:  # first: bytes waiting (the connection's end); then: closed
            calls[0] += 1
            if calls[0] == 1:
                return True
            cache.set_live(False)
            return False

        cache.pending = pending
        return await cache.get("k"), cache.live

    assert run(go()) == (None, False)


def test_waiting_for_an_invalidation_returns_when_one_arrives() -> None:
    async def go() -> bool:
        cache, _ = live_cache()
        generation = cache.generation
        asyncio.get_running_loop().call_later(0.01, cache.invalidate)
        async with asyncio.timeout(5):
            await cache.wait_for_invalidation(generation)
        return cache.generation != generation

    assert run(go())


def test_a_notification_read_a_turn_later_still_counts() -> None:
    """asyncio runs the callbacks it already queued before the reads it has just polled: the
    notification may be applied only on the second turn."""

    async def go() -> object:
        cache, _ = live_cache()
        cache.put("k", "v", cache.generation)
        turns = [0]

        def pending() -> bool:
            turns[0] += 1
            if turns[0] == 2:  # read on the second turn, applied after it
                asyncio.get_running_loop().call_soon(cache.invalidate)
            return turns[0] <= 2

        cache.pending = pending
        return await cache.get("k")

    assert run(go()) is None


def test_bytes_that_stay_unread_mean_a_miss_not_a_hit() -> None:
    async def go() -> object:
        cache, _ = live_cache()
        cache.put("k", "v", cache.generation)
        cache.pending = lambda: True
        return await cache.get("k")

    assert run(go()) is None
