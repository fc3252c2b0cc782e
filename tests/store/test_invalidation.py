"""``store.invalidation`` and ``store.triggers``: the read cache stays right across processes.

On PostgreSQL: every change that matters reaches every listener, bookkeeping does not, a
revocation is seen by every "worker" (here: storages with caches and feeds of their own, as in
separate processes) on the very next lookup, and the cache is off whenever the feed is down. On
SQLite there is no cache at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.oauth.revocation import revoke
from camgate.store import triggers
from camgate.store.cache import ReadCache
from camgate.store.database import Database, open_database
from camgate.store.invalidation import InvalidationFeed, invalidation_feed, listener_dsn
from camgate.store.models import access_tokens, grants, oauth_apps, personal_tokens, users
from camgate.store.oauth_unit import SqlOAuthStorage
from camgate.tokens import TokenKind, hash_token
from camgate.web.services import Services
from tests.factories import World, make_personal_token, make_world
from tests.store import oauth_driver as drive
from tests.support import DbTarget, create_schema, in_transaction, make_target, run, settings_for

_NOTIFY_MARKER = text("SELECT pg_notify(:channel, :m)")


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    for target in make_target("postgresql", tmp_path):
        yield settings_for(target, tmp_path)


@pytest.fixture
def pg_world(pg_settings: Settings) -> World:
    run(create_schema(pg_settings))
    return in_transaction(pg_settings, make_world)


@asynccontextmanager
async def worker(db: Database) -> AsyncIterator[tuple[SqlOAuthStorage, InvalidationFeed]]:
    """What one server process has: a storage with its own cache, and the feed that keeps it."""
    cache = ReadCache(5.0)  # a long bound: in these tests only notifications may end an entry
    feed = InvalidationFeed(listener_dsn(db.url), cache, schema=db.schema)
    async with invalidation_feed(feed):
        await until(lambda: cache.live)
        yield SqlOAuthStorage(db, cache), feed


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


async def revoked(storage: SqlOAuthStorage, token: str) -> bool:
    record = await storage.find_bearer(TokenKind.ACCESS, hash_token(token))
    assert record is not None
    return record.revoked


async def write(db: Database, work: Callable[[AsyncConnection], Awaitable[object]]) -> None:
    async with db.transaction() as conn:
        await work(conn)


async def without_triggers(db: Database, statement: object) -> None:
    """A write the triggers do not see (replica mode): shows whether an answer came from the cache."""
    async with db.transaction() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(statement)  # type: ignore[call-overload]


def test_a_cached_row_is_served_until_a_notification_says_otherwise(pg_settings: Settings, pg_world: World) -> None:
    async def go() -> tuple[bool, bool, bool]:
        db = open_database(pg_settings)
        try:
            token = (await drive.tokens(db, pg_world.a))["access_token"]
            async with worker(db) as (storage, _feed):
                first = await revoked(storage, token)
                now = datetime.now(UTC)
                by_hash = access_tokens.c.token_hash == hash_token(token)
                await without_triggers(db, update(access_tokens).where(by_hash).values(revoked_at=now))
                from_cache = await revoked(storage, token)  # the silent write is not seen: a hit
                later = now + timedelta(seconds=1)  # a real change: rewriting the same value is none
                await write(db, lambda c: c.execute(update(access_tokens).where(by_hash).values(revoked_at=later)))
                await until(lambda: len(storage.cache or ()) == 0)
                return first, from_cache, await revoked(storage, token)
        finally:
            await db.dispose()

    assert run(go()) == (False, False, True)


def test_a_revocation_is_refused_by_every_worker_on_the_very_next_lookup(
    pg_settings: Settings, pg_world: World
) -> None:
    """RFC 7009 revocation through one worker. That worker answers only after its own notification
    came back, so its next lookup refuses. The other worker refuses as soon as the notification
    has reached its socket — even while its loop has not yet read it: a request that arrives
    together with the notification is not answered from the cache first."""

    async def go() -> list[tuple[bool, bool]]:
        db = open_database(pg_settings)
        outcomes = []
        try:
            async with worker(db) as (first, _), worker(db) as (second, _):
                ctx = await drive.context(db, pg_world.a)
                ctx.storage = first
                app = pg_world.a.app
                assert second.cache is not None
                for _ in range(15):
                    token = (await drive.tokens(db, pg_world.a))["access_token"]
                    assert not await revoked(first, token) and not await revoked(second, token)  # both cached
                    before = second.cache.generation
                    params = {"token": token, "client_id": app.client_id, "client_secret": app.client_secret}
                    await revoke(ctx, None, params, None)
                    by_first = await revoked(first, token)
                    # Block the loop on purpose until the notification's bytes are in the second
                    # worker's socket (or already applied): they wait there unread, like a
                    # notification that arrives in the same loop turn as a request.
                    deadline = time.monotonic() + 5
                    while second.cache.generation == before and not (second.cache.pending and second.cache.pending()):
                        assert time.monotonic() < deadline, "the notification never reached the second worker"
                        time.sleep(0.0002)
                    outcomes.append((by_first, await revoked(second, token)))
        finally:
            await db.dispose()
        return outcomes

    assert run(go()) == [(True, True)] * 15


def _changes(world: World) -> list[tuple[str, Callable[[AsyncConnection], Awaitable[object]], bool]]:
    now = datetime.now(UTC)
    owner, guest, app = world.a.owner, world.a.guest, world.a.app
    return [
        ("a token's last use", lambda c: c.execute(update(access_tokens).values(last_used_at=now)), False),
        ("a grant's last use", lambda c: c.execute(update(grants).values(last_used_at=now)), False),
        (
            "a password change",
            lambda c: c.execute(update(users).where(users.c.id == owner.id).values(password_hash="x")),
            False,
        ),
        (
            "an expiry moved earlier",
            lambda c: c.execute(update(access_tokens).values(expires_at=now - timedelta(days=2))),
            True,
        ),
        ("the purge of expired tokens", lambda c: c.execute(delete(access_tokens)), False),
        (
            "a guest's rights",
            lambda c: c.execute(update(users).where(users.c.id == guest.id).values(rights="read")),
            True,
        ),
        (
            "a disabled user",
            lambda c: c.execute(update(users).where(users.c.id == guest.id).values(is_active=False)),
            True,
        ),
        ("a revoked grant", lambda c: c.execute(update(grants).values(revoked_at=now)), True),
        ("a revoked personal token", lambda c: c.execute(update(personal_tokens).values(revoked_at=now)), True),
        (
            "a rotated client secret",
            lambda c: c.execute(
                update(oauth_apps).where(oauth_apps.c.id == app.id).values(client_secret_hash="0" * 64)
            ),
            True,
        ),
        ("a deleted app", lambda c: c.execute(delete(oauth_apps).where(oauth_apps.c.id == app.id)), True),
        ("a rolled-back revocation", _rolled_back_revocation, False),
    ]


async def _rolled_back_revocation(conn: AsyncConnection) -> None:
    await conn.execute(update(access_tokens).values(revoked_at=datetime.now(UTC)))
    raise RuntimeError("rolled back")


def test_each_change_that_matters_notifies_and_bookkeeping_does_not(pg_settings: Settings, pg_world: World) -> None:
    async def go() -> list[tuple[str, bool]]:
        db = open_database(pg_settings)
        heard: list[str] = []
        listener = await asyncpg.connect(listener_dsn(db.url))
        await listener.add_listener(triggers.CHANNEL, lambda *args: heard.append(args[-1]))
        seen = []
        try:
            await drive.tokens(db, pg_world.a)
            async with db.transaction() as conn:
                await make_personal_token(conn, pg_world.a.owner)
            for number, (name, change, _expected) in enumerate(_changes(pg_world)):
                heard.clear()
                with contextlib.suppress(RuntimeError):
                    await write(db, change)
                # A marker sent after the change: PostgreSQL delivers notifications in commit
                # order, so once the marker is here, the change's notification would be too.
                marker = f"marker-{number}"
                await write(db, lambda c, m=marker: c.execute(_NOTIFY_MARKER, {"channel": triggers.CHANNEL, "m": m}))
                await until(lambda m=marker: m in heard)  # type: ignore[misc]
                seen.append((name, db.schema in heard[: heard.index(marker)]))
        finally:
            await listener.close()
            await db.dispose()
        return seen

    assert run(go()) == [(name, expected) for name, _change, expected in _changes(pg_world)]


def test_the_cache_is_off_while_the_feed_is_down_and_back_after(pg_settings: Settings, pg_world: World) -> None:
    async def go() -> tuple[bool, bool, bool, int]:
        db = open_database(pg_settings)
        try:
            token = (await drive.tokens(db, pg_world.a))["access_token"]
            async with worker(db) as (storage, feed):
                cache = storage.cache
                assert cache is not None and feed._conn is not None
                await revoked(storage, token)  # cached
                pid = feed._conn.get_server_pid()
                async with db.read() as conn:
                    await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await until(lambda: not cache.live)
                # Revoked while nobody listened: the notification is lost, and must not matter.
                by_hash = access_tokens.c.token_hash == hash_token(token)
                await without_triggers(db, update(access_tokens).where(by_hash).values(revoked_at=datetime.now(UTC)))
                while_down = await revoked(storage, token)
                stored_while_down = len(cache)
                await until(lambda: cache.live)
                return while_down, stored_while_down == 0, await revoked(storage, token), feed.connections
        finally:
            await db.dispose()

    assert run(go()) == (True, True, True, 2)


def test_without_the_triggers_the_cache_never_goes_live(pg_settings: Settings, pg_world: World) -> None:
    async def go() -> bool:
        db = open_database(pg_settings)
        try:
            async with db.transaction() as conn:
                for statement in triggers.drop_statements():
                    await conn.execute(text(statement))
            cache = ReadCache(1.0)
            async with invalidation_feed(InvalidationFeed(listener_dsn(db.url), cache, schema=db.schema)):
                await asyncio.sleep(0.5)  # several attempts (backoff starts at 0.1 s)
                return cache.live
        finally:
            await db.dispose()

    assert run(go()) is False


def test_the_migrations_create_every_trigger(pg_settings: Settings) -> None:
    async def go() -> int:
        db = open_database(pg_settings)
        try:
            await db.migrate()
            async with db.read() as conn:
                return int(
                    await conn.scalar(
                        text(
                            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                            "JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = current_schema() AND t.tgname LIKE 'camgate_cache%'"
                        )
                    )
                )
        finally:
            await db.dispose()

    assert run(go()) == triggers.trigger_count()


def test_sqlite_has_no_cache(tmp_path: Path) -> None:
    target = DbTarget("sqlite", f"sqlite:///{tmp_path}/camgate.db", None)
    settings = settings_for(target, tmp_path)
    services = Services(settings=settings, db=open_database(settings), secret_key=b"k")
    assert services.cache_feed is None and services.storage.cache is None
    run(services.db.dispose())
