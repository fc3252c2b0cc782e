"""A per-process cache of the rows every API call and introspection reads: bearer tokens and apps.

Issue 7 allows an in-process cache "only with cross-worker invalidation … and a short bound", and a
revoked token must still be refused on the very next request on every worker. So an entry is used
only while three things hold:

* **the invalidation feed is live** (``store.invalidation`` listens on PostgreSQL for the
  notifications that the triggers of migration 0004 send on every change that can make a cached
  row wrong: a revocation, a disabled user, a changed right, a rotated secret, a deletion). While
  it is down — not yet connected, lost, being re-established — nothing is served from the cache
  and nothing is stored in it;
* **no invalidation came since the entry's database read began**: every invalidation bumps a
  generation and empties the cache; a read stores its result only if the generation is still the
  one it saw before it went to the database, so a row read just before a revocation committed
  cannot be stored after the revocation's notification was applied;
* **the entry is younger than the bound** (``CAMGATE_CACHE_SECONDS``, 1 s by default): should a
  notification ever be lost without the connection dropping, a stale entry lives at most that
  long.

Misses are not cached (tokens are random: an unknown one is noise, and an app created after a
miss must be found at once), and the cache is bounded in entries, so an attacker cannot grow it.
On SQLite there is no cross-process notification, so there is no cache (``camgate serve`` runs
SQLite in one process, but the CLI writes from another).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from typing import Any

DEFAULT_MAX_ENTRIES = 10_000  # ~1.3 KB an entry (tracemalloc): at most ~13 MB per worker
DRAIN_TURNS = 4


class ReadCache:
    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self.generation = 0
        self._live = False
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._invalidated = asyncio.Event()
        # Set by the invalidation feed: True if bytes (a notification, or the connection's end)
        # wait unread on its socket; it turns the cache off itself when the connection closed.
        self.pending: Callable[[], bool] | None = None

    @property
    def live(self) -> bool:
        return self._live

    def set_live(self, live: bool) -> None:
        """Called by the invalidation feed. Either way the cache starts empty: while the feed was
        down, notifications may have been missed."""
        self.invalidate()
        self._live = live

    def invalidate(self) -> None:
        """Forget everything, and refuse results of reads that began before this moment."""
        self.generation += 1
        self._entries.clear()
        self._invalidated.set()
        self._invalidated = asyncio.Event()

    async def get(self, key: Hashable) -> Any | None:
        """The cached value, or None: a miss, a stale entry, or a cache that may not be trusted.

        A notification that reached this process but is still unread in the feed's socket must
        count before the entry does: when the request that asks and the notification that
        forbids arrived together, one loop iteration reads the notification (the feed applies it
        as it is parsed) before the answer is taken from the cache.
        """
        if not self._live:
            return None
        if self.pending is not None and self.pending():
            # Depending on the event loop, the bytes are read one or two turns later (asyncio runs
            # the callbacks already queued, this request's among them, before the reads it has
            # just polled). Asked again each turn: the connection's end turns the cache off.
            for _ in range(DRAIN_TURNS):
                await asyncio.sleep(0)
                if self.pending is None or not self.pending():
                    break
            else:
                return None  # still unread: answer from the database this time
            if not self._live:
                return None
        hit = self._entries.get(key)
        if hit is None:
            return None
        stored_at, value = hit
        if self.clock() - stored_at >= self.seconds:
            del self._entries[key]
            return None
        return value

    def put(self, key: Hashable, value: Any, generation: int) -> None:
        """Store a result read from the database since ``generation`` was current."""
        if not self._live or generation != self.generation:
            return
        if len(self._entries) >= self.max_entries:
            # Entries live a second at most: dropping the oldest half keeps the hot ones.
            for stale in list(self._entries)[: self.max_entries // 2]:
                del self._entries[stale]
        self._entries[key] = (self.clock(), value)

    async def wait_for_invalidation(self, generation: int) -> None:
        """Return once an invalidation newer than ``generation`` was applied here (bound it with
        ``asyncio.timeout``): a revocation waits for the echo of its own notification before it
        answers, so by the time the client hears "revoked", PostgreSQL has sent the notification
        to every listener."""
        while self.generation == generation:
            await self._invalidated.wait()

    def __len__(self) -> int:
        return len(self._entries)
