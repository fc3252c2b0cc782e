"""The database engine: one per process, SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

# aiosqlite logs every statement *with its bound parameters* at DEBUG: a client that sends its
# secret in the wrong field (say, as client_id) would have it written to the log under
# CAMGATE_LOG_LEVEL=debug. camgate binds only hashes of credentials, but cannot stop a client's
# typo, so that logger never goes below INFO (found by tests/security/test_fuzz.py's log scan).
_aiosqlite_log = logging.getLogger("aiosqlite")
if _aiosqlite_log.level < logging.INFO:
    _aiosqlite_log.setLevel(logging.INFO)

CONNECT_TIMEOUT_SECONDS = 3
COMMAND_TIMEOUT_SECONDS = 5
POOL_TIMEOUT_SECONDS = 5


def create_engine(url: str, *, schema: str | None = None, pool_size: int = 10) -> AsyncEngine:
    """An async engine for an already normalised URL (``config.normalize_database_url``).

    ``schema`` puts every table of a PostgreSQL connection into that schema (the tests give each
    test its own). SQLite gets WAL, foreign keys (off by default in SQLite) and a busy timeout so
    that the CLI and the server can share the file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if schema == "nullpool":
            engine = create_async_engine(url, poolclass=NullPool)
        else:
            # Unbounded overflow: a request may hold two connections at once (a unit of work, and
            # the client-secret throttle's read beside it), so a bounded pool smaller than twice
            # the concurrent requests starves itself until pool_timeout (issue 7's bench found it
            # at 16 clients with the default 5 + 10). SQLite connections are a file handle each.
            engine = create_async_engine(url, pool_size=pool_size, max_overflow=-1)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # Short timeouts: when PostgreSQL is gone or stuck, a request fails fast with 503 (and the
    # load balancer's /healthz probe sees it) instead of holding a worker for tens of seconds.
    connect_args: dict[str, Any] = {
        "timeout": CONNECT_TIMEOUT_SECONDS,
        "command_timeout": COMMAND_TIMEOUT_SECONDS,
        # A pooled statement cache is what makes asyncpg fast; the schema pins the search path.
        "server_settings": {"search_path": schema} if schema else {},
    }
    return create_async_engine(
        url,
        pool_size=pool_size,
        # Overflow connections are closed when given back, so a steady load above the pool size
        # opened and closed a PostgreSQL connection per request (profiled: ~8% of a worker). A
        # small margin absorbs bursts; beyond it requests queue for a pooled connection (no
        # request waits for a second connection while holding one, so queueing cannot deadlock).
        max_overflow=max(1, pool_size // 4),
        pool_pre_ping=False,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=connect_args,
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()
