"""The invalidation feed: PostgreSQL ``LISTEN`` on one dedicated connection per process.

Migration 0004 puts triggers on the rows the ``ReadCache`` holds (tokens, grants, users, apps):
whenever a change could make a cached row wrong, the writing transaction sends ``NOTIFY
camgate_cache, '<schema>'``, which PostgreSQL delivers to every listener when — and only if — the
transaction commits. Because the triggers are in the database, every writer invalidates: each
worker, each machine, the CLI, an operator's ``psql``.

The feed keeps the cache honest about its own state: the cache is live only between a LISTEN
that succeeded and the first sign of trouble (the connection closed, a ping unanswered for a
second), and every transition empties it. A notification is applied the moment its bytes are
parsed, not one loop iteration later as asyncpg's listener callbacks are, so that a request that
arrives together with it cannot be answered from the cache first (``ReadCache.get``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import select
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from camgate.store import triggers
from camgate.store.cache import ReadCache

log = logging.getLogger("camgate.store.invalidation")

CHANNEL = triggers.CHANNEL
_TRIGGERS_IN_SCHEMA = """
SELECT count(*) FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND t.tgname LIKE $2
"""
PING_SECONDS = 1.0
CONNECT_TIMEOUT_SECONDS = 3.0
MAX_BACKOFF_SECONDS = 5.0


class _NotifiedConnection(asyncpg.Connection):
    """asyncpg's connection, with notifications applied as soon as they are parsed.

    asyncpg hands a notification to its listeners through ``loop.call_soon``; a request that the
    loop read in the same iteration could run first and be answered from a cache the notification
    has just made wrong. Overriding the (private) dispatch hook is pinned by the exact asyncpg
    version in pyproject.toml and by tests/store/test_read_cache.py.
    """

    on_notification: Callable[[str], None] | None = None

    def _process_notification(self, pid: int, channel: str, payload: str) -> None:
        if channel == CHANNEL and self.on_notification is not None:
            self.on_notification(payload)
        super()._process_notification(pid, channel, payload)


def listener_dsn(sqlalchemy_url: str) -> str:
    """The asyncpg DSN of camgate's SQLAlchemy URL (``postgresql+asyncpg://…``)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _readable(poller: select.poll) -> bool:
    """One non-blocking poll(2) of the feed's socket (asked on every cache hit)."""
    try:
        return bool(poller.poll(0))
    except OSError:
        return True  # let the loop find out, and the feed go down


class InvalidationFeed:
    """Keeps one LISTEN connection up, reconnecting with backoff, and drives ``cache``."""

    def __init__(self, dsn: str, cache: ReadCache, *, schema: str | None = None) -> None:
        self.dsn = dsn
        self.cache = cache
        self.server_settings = {"search_path": schema} if schema else {}
        self.connections = 0  # how many times LISTEN was established (the tests watch it)
        self._conn: _NotifiedConnection | None = None

    async def run(self) -> None:
        backoff = 0.1
        while True:
            try:
                await self._listen()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure: the cache is off until LISTEN is back
                # Only our own message is logged: a driver's could quote the connection string.
                why = str(exc) if isinstance(exc, LookupError) else type(exc).__name__
                log.warning("cache invalidation feed down (%s); the cache is off until it is back", why)
            finally:
                self.cache.pending = None
                self.cache.set_live(False)
                await self._close()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def _listen(self) -> None:
        conn: _NotifiedConnection = await asyncpg.connect(
            self.dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings=self.server_settings,
            connection_class=_NotifiedConnection,
        )
        self._conn = conn
        # The triggers name the schema of the table that changed; the tables camgate uses are in
        # the first schema of its search path.
        schema = await conn.fetchval("SELECT current_schema()")
        found = await conn.fetchval(_TRIGGERS_IN_SCHEMA, schema, f"{CHANNEL}\\_%")
        if found < triggers.trigger_count():
            # A database not migrated to 0004 yet (`camgate init`): no notifications would come.
            raise LookupError(f"{found} of {triggers.trigger_count()} invalidation triggers in schema {schema!r}")

        def apply(payload: str) -> None:
            if payload == schema:
                self.cache.invalidate()

        conn.on_notification = apply
        await conn.add_listener(CHANNEL, _ignore)
        poller = select.poll()
        poller.register(_socket_fd(conn), select.POLLIN | select.POLLPRI)

        def pending() -> bool:
            if conn.is_closed():
                self.cache.set_live(False)
                return False
            return _readable(poller)

        self.cache.pending = pending
        self.cache.set_live(True)  # empties the cache: anything read before LISTEN is suspect
        self.connections += 1
        while True:
            await asyncio.sleep(PING_SECONDS)
            if conn.is_closed():
                raise ConnectionError("the listening connection closed")
            await conn.fetchval("SELECT 1", timeout=PING_SECONDS)

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()


def _ignore(*_args: Any) -> None:
    """asyncpg needs a listener to send LISTEN; notifications are applied by the connection."""


def _socket_fd(conn: asyncpg.Connection) -> int:
    sock = conn._transport.get_extra_info("socket")  # private, pinned with the asyncpg version
    return int(sock.fileno())


@contextlib.asynccontextmanager
async def invalidation_feed(feed: InvalidationFeed | None) -> AsyncIterator[None]:
    """Run the feed for the lifetime of the block (the app's lifespan); nothing if None."""
    if feed is None:
        yield
        return
    task = asyncio.create_task(feed.run(), name="camgate-cache-invalidation")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
