"""The handle the rest of camgate holds: an engine, transactions, and a health probe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camgate.config import Settings
from camgate.store.engine import create_engine
from camgate.store.migrate import upgrade_to_head

PING_SECONDS = 2.0


class DatabaseUnavailableError(Exception):
    """The database did not answer: the web layer turns this into 503 (never a 500)."""


# Errors that mean "the database is gone or overloaded", as opposed to a bug or a constraint:
# OperationalError/InterfaceError (SQLAlchemy's wrappers of the drivers' connection errors),
# OSError (connection refused or reset while asyncpg connects at pool checkout), asyncio's
# TimeoutError (asyncpg's connect and command timeouts) and SQLAlchemy's TimeoutError (no pooled
# connection became free within pool_timeout).
_UNAVAILABLE = (
    OperationalError,
    SAInterfaceError,
    DisconnectionError,
    SATimeoutError,
    OSError,
    asyncio.TimeoutError,
    ConnectionError,
)
# asyncpg's own classes, matched by name so the SQLite-only install does not need asyncpg: the
# connection died mid-query, the server is starting or shutting down, or it has no free slot. A
# deadlock or serialization failure rolled the whole transaction back, so "try again" (503 with
# Retry-After) is the true answer there too, not a 500.
_UNAVAILABLE_NAMES = frozenset(
    {
        "DeadlockDetectedError",
        "SerializationError",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "TooManyConnectionsError",
        "AdminShutdownError",
        "CrashShutdownError",
        "ClientCannotConnectError",
        "ConnectionRejectionError",
        "InternalClientError",
    }
)


def is_unavailable(exc: BaseException) -> bool:
    """True if ``exc`` (or anything it was raised from) says the database cannot be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _UNAVAILABLE):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if type(current).__name__ in _UNAVAILABLE_NAMES:
            return True
        orig = getattr(current, "orig", None)
        # Follow what the error was explicitly raised from (drivers' translations use ``from``),
        # not what happened to be handled nearby, so an unrelated error is never taken for an outage.
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


class Database:
    def __init__(self, url: str, *, schema: str | None = None, pool_size: int = 10) -> None:
        self.url = url
        self.schema = schema or None
        self.engine: AsyncEngine = create_engine(url, schema=schema or None, pool_size=pool_size)
        self.dialect = self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            async with self.engine.begin() as conn:
                yield conn
        except Exception as exc:
            if is_unavailable(exc):
                raise DatabaseUnavailableError(type(exc).__name__) from exc
            raise

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only, in autocommit mode.

        Without a transaction there is no BEGIN/ROLLBACK round trip around every lookup (the bench
        found about a third of a worker's time there); the isolation level is restored when the
        connection goes back to the pool. Never write through it: use ``transaction()``.
        """
        try:
            async with self.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn
        except Exception as exc:
            if is_unavailable(exc):
                raise DatabaseUnavailableError(type(exc).__name__) from exc
            raise

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(PING_SECONDS), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure to answer is "not healthy", whatever its kind
            return False

    async def migrate(self) -> None:
        await upgrade_to_head(self.engine)

    async def dispose(self) -> None:
        await self.engine.dispose()


def open_database(settings: Settings) -> Database:
    return Database(
        settings.resolved_database_url,
        schema=settings.database_schema or None,
        pool_size=settings.database_pool_size,
    )
