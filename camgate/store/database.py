"""The handle the rest of camgate holds: an engine, transactions, and a health probe."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from camgate.config import Settings
from camgate.store.engine import create_engine
from camgate.store.migrate import upgrade_to_head

PING_SECONDS = 2.0


class DatabaseUnavailableError(Exception):
    """The database did not answer: the web layer turns this into 503 (never a 500)."""


# Errors that mean "the database is gone or overloaded", as opposed to a bug or a constraint.
_UNAVAILABLE = (OperationalError, SAInterfaceError, OSError, asyncio.TimeoutError, ConnectionError)


def is_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, _UNAVAILABLE):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    name = type(getattr(exc, "orig", exc)).__name__
    return name in {"ConnectionDoesNotExistError", "CannotConnectNowError", "TooManyConnectionsError"}


class Database:
    def __init__(self, url: str, *, schema: str | None = None, pool_size: int = 10) -> None:
        self.url = url
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
        """A connection for reads (autocommit-free, closed at the end)."""
        try:
            async with self.engine.connect() as conn:
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
    return Database(settings.resolved_database_url, schema=settings.database_schema or None)
