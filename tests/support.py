"""Test plumbing shared by every suite: databases on both backends, a real uvicorn, seeded data."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from camgate.app import create_app
from camgate.config import Settings
from camgate.store.database import Database, open_database
from camgate.store.models import metadata
from camgate.web.http_protocol import CoalescingHttpToolsProtocol

PG_URL = os.environ.get("CAMGATE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
T = TypeVar("T")

_pg_ok: bool | None = None


def postgres_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        try:
            with socket.create_connection(("127.0.0.1", 5432), timeout=1):
                _pg_ok = True
        except OSError:
            _pg_ok = False
    return _pg_ok


def require_postgres() -> None:
    """Skip without PostgreSQL locally; in CI an unreachable PostgreSQL fails the run."""
    if not postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is not reachable, and CI=true: storage tests must run on it")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")


@dataclass
class DbTarget:
    backend: str
    url: str
    schema: str | None


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


def make_target(backend: str, tmp_path: Path) -> Iterator[DbTarget]:
    if backend == "sqlite":
        yield DbTarget("sqlite", f"sqlite:///{tmp_path}/camgate.db", None)
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"

    async def ddl(statement: str) -> None:
        engine = create_async_engine(PG_URL.replace("postgresql://", "postgresql+asyncpg://"))
        async with engine.begin() as conn:
            await conn.execute(text(statement))
        await engine.dispose()

    run(ddl(f'CREATE SCHEMA "{schema}"'))
    try:
        yield DbTarget("postgresql", PG_URL, schema)
    finally:
        run(ddl(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def settings_for(target: DbTarget, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "database_url": target.url,
        "database_schema": target.schema or "",
        "secret_key": "test-secret-key-" + uuid.uuid4().hex,
        # Several test processes, each with servers, share one PostgreSQL (max_connections 100).
        "database_pool_size": 3,
    }
    values.update(overrides)
    return Settings(**values)


async def create_schema(settings: Settings) -> None:
    """The models' tables (``test_migrations`` checks the migrations produce exactly these)."""
    db = open_database(settings)
    async with db.transaction() as conn:
        await conn.run_sync(metadata.create_all)
    await db.dispose()


def in_transaction(settings: Settings, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async def go() -> T:
        db = open_database(settings)
        try:
            async with db.transaction() as conn:
                return await work(conn)
        finally:
            await db.dispose()

    return run(go())


def database(settings: Settings) -> Database:
    return open_database(settings)


@dataclass
class LiveServer:
    """A real uvicorn serving camgate on a loopback port, in a thread of the test process."""

    settings: Settings
    port: int = 0
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    log_records: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url_for_host(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    def start(self) -> LiveServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(self.settings),
            log_level="warning",
            access_log=False,
            http=CoalescingHttpToolsProtocol,  # what `camgate serve` runs
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("camgate test server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=10)
