"""Constraints in the database itself, not only in Python (issue 2): unique keys, checks and the
ON DELETE rules, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.store import accounts, apps, providers
from camgate.store.database import open_database
from camgate.store.models import (
    access_tokens,
    audit_events,
    authorization_codes,
    grants,
    oauth_apps,
    provider_hosts,
    refresh_tokens,
    users,
)
from camgate.store.providers import DuplicateError
from tests.factories import World
from tests.store import oauth_driver as drive
from tests.support import in_transaction, run


def count(settings: Settings, table: Any, *where: Any) -> int:
    async def go(conn: AsyncConnection) -> int:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)

    return in_transaction(settings, go)


def refused(settings: Settings, work: Callable[[AsyncConnection], Awaitable[Any]]) -> None:
    with pytest.raises(IntegrityError):
        in_transaction(settings, work)


def issue_tokens(settings: Settings, world: World) -> dict[str, Any]:
    async def go() -> dict[str, Any]:
        db = open_database(settings)
        try:
            return await drive.tokens(db, world.a)
        finally:
            await db.dispose()

    return run(go())


def test_deleting_an_app_deletes_its_codes_grants_and_tokens(settings: Settings, world: World) -> None:
    issue_tokens(settings, world)
    app_id = world.a.app.id
    assert count(settings, grants, grants.c.app_id == app_id) == 1
    in_transaction(settings, lambda conn: apps.delete_app(conn, app_id))
    for table in (grants, authorization_codes, access_tokens, refresh_tokens):
        assert count(settings, table, table.c.app_id == app_id) == 0, table.name
    assert count(settings, oauth_apps, oauth_apps.c.id == world.a.pkce_app.id) == 1


def test_deleting_a_user_deletes_its_tokens_and_keeps_the_audit_trail(settings: Settings, world: World) -> None:
    issue_tokens(settings, world)
    user_id = world.a.owner.id
    audits = count(settings, audit_events)
    assert audits > 0

    async def remove(conn: AsyncConnection) -> None:
        await conn.execute(delete(users).where(users.c.id == user_id))

    in_transaction(settings, remove)
    for table in (grants, access_tokens, refresh_tokens, oauth_apps):
        column = table.c.owner_id if table is oauth_apps else table.c.user_id
        assert count(settings, table, column == user_id) == 0, table.name
    assert count(settings, audit_events) == audits  # SET NULL, not CASCADE
    assert count(settings, audit_events, audit_events.c.user_id == user_id) == 0


def test_token_hashes_are_unique(settings: Settings, world: World) -> None:
    issue_tokens(settings, world)

    async def duplicate(conn: AsyncConnection) -> None:
        row = (await conn.execute(select(access_tokens))).mappings().first()
        assert row is not None
        await conn.execute(insert(access_tokens).values({**row, "id": None}))

    refused(settings, duplicate)


def test_refresh_grace_is_bounded_by_the_database(settings: Settings, world: World) -> None:
    async def too_long(conn: AsyncConnection) -> None:
        await conn.execute(update(oauth_apps).where(oauth_apps.c.id == world.a.app.id).values(refresh_grace_seconds=61))

    refused(settings, too_long)

    async def ok(conn: AsyncConnection) -> int:
        await conn.execute(update(oauth_apps).where(oauth_apps.c.id == world.a.app.id).values(refresh_grace_seconds=60))
        app = await apps.app_by_id(conn, world.a.app.id)
        assert app is not None
        return app.refresh_grace_seconds

    assert in_transaction(settings, ok) == 60


def test_a_host_belongs_to_one_provider(settings: Settings, world: World) -> None:
    with pytest.raises(DuplicateError):
        in_transaction(settings, lambda conn: providers.add_provider(conn, name="gamma", hosts=["LOCALHOST"]))

    async def raw(conn: AsyncConnection) -> None:
        await conn.execute(insert(provider_hosts).values(host="localhost", provider_id=world.a.provider_id))

    refused(settings, raw)


def test_email_is_unique_per_provider_case_insensitively(settings: Settings, world: World) -> None:
    async def again(conn: AsyncConnection) -> None:
        await accounts.add_user(
            conn,
            provider_id=world.a.provider_id,
            organization_id=world.a.org_id,
            email=world.a.owner.email.upper(),
            password_hash="x",
            role=accounts.Role.FULL,
        )

    with pytest.raises(DuplicateError):
        in_transaction(settings, again)

    async def raw(conn: AsyncConnection) -> None:
        await conn.execute(
            insert(users).values(
                provider_id=world.a.provider_id,
                organization_id=world.a.org_id,
                email="X@Y.test",
                email_normalized=world.a.owner.email.lower(),
                password_hash="x",
                role="full",
                rights="",
                is_active=True,
                created_at=datetime.now(UTC),
            )
        )

    refused(settings, raw)

    async def elsewhere(conn: AsyncConnection) -> str:
        user = await accounts.add_user(
            conn,
            provider_id=world.b.provider_id,
            organization_id=world.b.org_id,
            email=world.a.owner.email,
            password_hash="x",
            role=accounts.Role.FULL,
        )
        return user.email

    assert in_transaction(settings, elsewhere) == world.a.owner.email  # another provider may have it


def test_role_is_checked_by_the_database(settings: Settings, world: World) -> None:
    async def bad(conn: AsyncConnection) -> None:
        await conn.execute(update(users).where(users.c.id == world.a.guest.id).values(role="admin"))

    refused(settings, bad)


def test_app_names_are_unique_per_owner(settings: Settings, world: World) -> None:
    async def clash(conn: AsyncConnection) -> None:
        await conn.execute(update(oauth_apps).where(oauth_apps.c.id == world.a.pkce_app.id).values(name="Integration"))

    refused(settings, clash)


def test_expired_codes_are_kept_for_replay_detection_until_purged(settings: Settings, world: World) -> None:
    issue_tokens(settings, world)

    async def age(conn: AsyncConnection) -> None:
        await conn.execute(update(authorization_codes).values(expires_at=datetime.now(UTC) - timedelta(days=2)))

    in_transaction(settings, age)
    from camgate.store.purge import purge_expired

    purged = run(purge_expired(open_database(settings), batch=1))
    assert purged["authorization_codes"] == 1
    assert count(settings, authorization_codes) == 0
    assert count(settings, grants) == 1  # the grant outlives its code
