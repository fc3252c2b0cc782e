"""``store.grants``: single use enforced by the database, grant revocation, lookups by hash.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.domain import AuditEntry, IssuedToken, NewGrant, TokenIssue
from camgate.oauth.client_auth import AuthenticatedClient
from camgate.oauth.errors import InvalidGrantError, InvalidScopeError
from camgate.oauth.grants import authorization_code, refresh_token
from camgate.oauth.token_endpoint import token_request
from camgate.store import accounts, apps, audit, grants
from camgate.store.database import DatabaseUnavailableError, open_database
from camgate.store.models import access_tokens, audit_events, refresh_tokens
from camgate.store.models import grants as grants_table
from camgate.tokens import hash_token
from tests.factories import Tenant, World
from tests.store import oauth_driver as drive
from tests.support import run


def test_a_code_is_consumed_once_even_concurrently(settings: Settings, world: World) -> None:
    async def go() -> list[bool]:
        db = open_database(settings)
        try:
            value = await drive.code(db, world.a)

            async def consume() -> bool:
                async with db.transaction() as conn:
                    return await grants.consume_code(conn, hash_token(value), datetime.now(UTC)) is not None

            results = list(await asyncio.gather(*(consume() for _ in range(4))))
            async with db.read() as conn:
                found = await grants.find_code(conn, hash_token(value))
            assert found is not None and found.used_at is not None
            return results
        finally:
            await db.dispose()

    assert sorted(run(go())) == [False, False, False, True]


def test_a_refresh_token_rotates_once_even_concurrently(settings: Settings, world: World) -> None:
    async def go() -> tuple[int, int]:
        db = open_database(settings)
        try:
            first = await drive.tokens(db, world.a)
            outcomes = await asyncio.gather(
                *(drive.refresh(db, world.a, first["refresh_token"]) for _ in range(3)), return_exceptions=True
            )
            ok = [o for o in outcomes if isinstance(o, dict)]
            failed = [o for o in outcomes if isinstance(o, InvalidGrantError)]
            return len(ok), len(failed)
        finally:
            await db.dispose()

    # exactly one rotation wins; the others present a now-rotated token: reuse, so the grant goes
    assert run(go()) == (1, 2)


def test_revoke_grant_revokes_its_tokens_and_only_its_own(settings: Settings, world: World) -> None:
    async def go() -> None:
        db = open_database(settings)
        try:
            mine = await drive.tokens(db, world.a)
            other = await drive.tokens(db, world.a)
            async with db.read() as conn:
                record = await grants.find_token(conn, hash_token(mine["access_token"]), "access")
            assert record is not None and record.grant_id is not None
            async with db.transaction() as conn:
                await grants.revoke_grant(conn, record.grant_id, datetime.now(UTC))
                assert not await grants.touch_live_grant(conn, record.grant_id, datetime.now(UTC))
            async with db.read() as conn:
                for kind in ("access", "refresh"):
                    assert await grants.find_token(conn, hash_token(mine[f"{kind}_token"]), kind) is not None
                revoked = await grants.find_refresh_token(conn, hash_token(mine["refresh_token"]))
                alive = await grants.find_refresh_token(conn, hash_token(other["refresh_token"]))
            assert revoked is not None and revoked.revoked_at is not None and revoked.grant_revoked
            assert alive is not None and alive.revoked_at is None and not alive.grant_revoked
            async with db.read() as conn:
                assert await grants.live_grant_ids(conn, user_id=world.a.owner.id) == [alive.grant_id]
        finally:
            await db.dispose()

    run(go())


def test_rotation_links_the_successor(settings: Settings, world: World) -> None:
    async def go() -> None:
        db = open_database(settings)
        try:
            first = await drive.tokens(db, world.a)
            second = await drive.refresh(db, world.a, first["refresh_token"])
            async with db.read() as conn:
                old = await grants.find_refresh_token(conn, hash_token(first["refresh_token"]))
                new = await grants.find_refresh_token(conn, hash_token(second["refresh_token"]))
            assert old is not None and new is not None
            assert old.rotated_at is not None and old.successor_id == new.id
            assert new.rotated_at is None and new.grant_id == old.grant_id
        finally:
            await db.dispose()

    run(go())


def test_find_token_by_kind(settings: Settings, world: World) -> None:
    async def go() -> None:
        db = open_database(settings)
        try:
            got = await drive.tokens(db, world.a)
            async with db.read() as conn:
                # an access token's hash is not found among refresh tokens
                assert await grants.find_token(conn, hash_token(got["access_token"]), "refresh") is None
                assert await grants.find_token(conn, hash_token(got["access_token"]), "personal") is None
                record = await grants.find_token(conn, hash_token(got["refresh_token"]), "refresh")
            assert record is not None and record.app_id == world.a.app.id and record.user_id == world.a.owner.id
        finally:
            await db.dispose()

    run(go())


def test_concurrent_exchanges_of_one_code_have_one_winner_whose_grant_the_replays_revoke(
    settings: Settings, world: World
) -> None:
    """RFC 6749 §4.1.2: the code is spent in the statement that stores its tokens, so a concurrent
    replay never finds it used without the grant it issued, and always revokes that grant."""

    async def go() -> None:
        db = open_database(settings)
        try:
            value = await drive.code(db, world.a)
            outcomes = await asyncio.gather(
                *(drive.exchange(db, world.a, value) for _ in range(3)), return_exceptions=True
            )
            assert sum(isinstance(o, dict) for o in outcomes) == 1
            assert sum(isinstance(o, InvalidGrantError) for o in outcomes) == 2
            async with db.read() as conn:
                code = await grants.find_code(conn, hash_token(value))
                assert code is not None and code.used_at is not None and code.grant_id is not None
                revoked = await conn.scalar(select(grants_table.c.revoked_at).where(grants_table.c.id == code.grant_id))
                assert revoked is not None
                assert await _count(conn, access_tokens, code.grant_id) == 1
                assert await _count(conn, refresh_tokens, code.grant_id) == 1
        finally:
            await db.dispose()

    run(go())


async def _count(conn: AsyncConnection, table: Any, grant_id: int | None = None) -> int:
    query = select(func.count()).select_from(table)
    if grant_id is not None:
        query = query.where(table.c.grant_id == grant_id)
    return int(await conn.scalar(query) or 0)


async def _counts(conn: AsyncConnection) -> tuple[int, ...]:
    return tuple([await _count(conn, t) for t in (grants_table, access_tokens, refresh_tokens, audit_events)])


def _issue(tenant: Tenant, **grant: Any) -> TokenIssue:
    now = datetime.now(UTC)
    token = IssuedToken(hash_token(f"cg_at_{now.timestamp()}"), "cg_at_x", now + timedelta(hours=1))
    refresh = IssuedToken(hash_token(f"cg_rt_{now.timestamp()}"), "cg_rt_x", now + timedelta(days=1))
    return TokenIssue(
        provider_id=tenant.provider_id,
        user_id=tenant.owner.id,
        app_id=tenant.app.id,
        now=now,
        access=token,
        access_scopes=frozenset({"read"}),
        refresh=refresh,
        refresh_scopes=frozenset({"read"}),
        audit=AuditEntry("token.issue", tenant.provider_id, tenant.owner.id, tenant.app.client_id, None, {}),
        **grant,
    )


def test_issue_tokens_writes_nothing_for_a_spent_code(settings: Settings, world: World) -> None:
    async def go() -> None:
        db = open_database(settings)
        try:
            value = await drive.code(db, world.a)
            async with db.transaction() as conn:
                code = await grants.consume_code(conn, hash_token(value), datetime.now(UTC))
            assert code is not None
            async with db.transaction() as conn:
                before = await _counts(conn)
                issue = _issue(world.a, new_grant=NewGrant(frozenset({"read"}), code.id))
                assert await grants.issue_tokens(conn, issue) is None
                assert await _counts(conn) == before
        finally:
            await db.dispose()

    run(go())


def test_issue_tokens_writes_nothing_for_a_rotated_token_or_a_revoked_grant(settings: Settings, world: World) -> None:
    async def go() -> None:
        db = open_database(settings)
        try:
            first = await drive.tokens(db, world.a)
            await drive.refresh(db, world.a, first["refresh_token"])
            other = await drive.tokens(db, world.a)
            async with db.read() as conn:
                rotated = await grants.find_refresh_token(conn, hash_token(first["refresh_token"]))
                live = await grants.find_refresh_token(conn, hash_token(other["refresh_token"]))
            assert rotated is not None and live is not None
            async with db.transaction() as conn:
                await conn.execute(
                    update(grants_table).where(grants_table.c.id == live.grant_id).values(revoked_at=datetime.now(UTC))
                )
            for old in (rotated, live):  # a rotated token; a live token of a revoked grant
                async with db.transaction() as conn:
                    before = await _counts(conn)
                    issue = _issue(world.a, grant_id=old.grant_id, rotated_refresh_id=old.id)
                    assert await grants.issue_tokens(conn, issue) is None
                    assert await _counts(conn) == before
            async with db.read() as conn:
                untouched = await grants.find_refresh_token(conn, hash_token(other["refresh_token"]))
            assert untouched is not None and untouched.rotated_at is None
        finally:
            await db.dispose()

    run(go())


def test_the_exchange_audit_row_names_the_new_grant_in_order(settings: Settings, world: World) -> None:
    """The grant's id is only known inside the issuing statement; the row still reads back like
    any other audit row, its entries in the order the activity page shows them."""

    async def go() -> None:
        db = open_database(settings)
        try:
            got = await drive.tokens(db, world.a)
            async with db.read() as conn:
                record = await grants.find_token(conn, hash_token(got["access_token"]), "access")
                events = await audit.events_page(conn, user_id=world.a.owner.id)
            assert record is not None
            issued = next(e for e in events if e.action == "token.issue")
            assert list(issued.detail.items()) == [
                ("client_id", world.a.app.client_id),
                ("grant_id", record.grant_id),
                ("access_token", got["access_token"][: len(issued.detail["access_token"])]),
                ("refresh", True),
            ]
        finally:
            await db.dispose()

    run(go())


def test_code_with_user_reads_a_guests_cameras(settings: Settings, world: World) -> None:
    async def go() -> None:
        db = open_database(settings)
        try:
            now = datetime.now(UTC)
            async with db.transaction() as conn:
                await grants.insert_code(
                    conn,
                    code_hash=hash_token("guest-code"),
                    app_id=world.a.app.id,
                    user_id=world.a.guest.id,
                    redirect_uri=world.a.app.redirect_uri,
                    redirect_uri_given=True,
                    scopes=("read",),
                    code_challenge=None,
                    code_challenge_method=None,
                    now=now,
                    expires_at=now + timedelta(minutes=2),
                )
            async with db.transaction() as conn:
                found = await grants.code_with_user(conn, hash_token("guest-code"))
                expected = await accounts.user_by_id(conn, world.a.guest.id)
            assert found is not None and expected is not None
            assert found.user == expected and expected.camera_ids is not None
        finally:
            await db.dispose()

    run(go())


def test_a_refused_refresh_burns_nothing(settings: Settings, world: World) -> None:
    """A refresh refused by a check (here a scope beyond the grant) writes nothing: the holder's
    token still works."""

    async def go() -> None:
        db = open_database(settings)
        try:
            first = await drive.tokens(db, world.a)
            ctx = await drive.context(db, world.a)
            params = {
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": world.a.app.client_id,
                "client_secret": world.a.app.client_secret,
                "scope": "recordings_delete",
            }
            with pytest.raises(InvalidScopeError):
                await token_request(ctx, params, None)
            assert "refresh_token" in await drive.refresh(db, world.a, first["refresh_token"])
        finally:
            await db.dispose()

    run(go())


def test_an_exchange_and_a_refresh_are_two_statements_on_postgresql(settings: Settings, world: World) -> None:
    """Issue 7: the read for the checks and one atomic write, with no BEGIN/COMMIT around them
    (client authentication not counted: the client is given)."""
    if settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: SQLite runs the writes one by one")

    async def go() -> None:
        db = open_database(settings)
        statements: list[str] = []

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def through_sqlalchemy(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        @event.listens_for(db.engine.sync_engine, "connect")
        def on_the_driver(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.driver_connection.add_query_logger(lambda record: statements.append(record.query))

        try:
            ctx = await drive.context(db, world.a)
            async with db.read() as conn:
                app = await apps.app_by_client_id(
                    conn, provider_id=world.a.provider_id, client_id=world.a.app.client_id
                )
            assert app is not None
            client = AuthenticatedClient(app, authenticated=True)
            value = await drive.code(db, world.a)
            params = {"code": value, "redirect_uri": world.a.app.redirect_uri}
            statements.clear()
            got = await authorization_code.exchange_code(ctx, client, params)
            assert len(statements) == 2, statements
            statements.clear()
            assert "refresh_token" in await refresh_token.refresh(ctx, client, {"refresh_token": got["refresh_token"]})
            assert len(statements) == 2, statements
        finally:
            await db.dispose()

    run(go())


def test_a_connection_lost_under_a_driver_statement_is_an_outage_and_is_not_reused(
    settings: Settings, world: World
) -> None:
    """The hot statements bypass SQLAlchemy: a dead connection must still be a 503 (not
    asyncpg's InterfaceError, a 500) and must not go back into the pool."""
    if settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only: the driver path")

    async def go() -> None:
        db = open_database(settings)
        other = open_database(settings)
        try:
            with pytest.raises(DatabaseUnavailableError):
                async with db.transaction() as conn:
                    raw = await conn.get_raw_connection()
                    assert raw.driver_connection is not None
                    pid = raw.driver_connection.get_server_pid()
                    async with other.read() as killer:
                        await killer.execute(text(f"SELECT pg_terminate_backend({int(pid)})"))
                    await asyncio.sleep(0.2)  # the backend is gone once the driver reads its goodbye
                    await grants.code_with_user(conn, hash_token("any"))
            async with db.transaction() as conn:
                assert await grants.code_with_user(conn, hash_token("any")) is None
        finally:
            await db.dispose()
            await other.dispose()

    run(go())


def test_revoke_grant_says_whether_it_changed_a_live_row(settings: Settings, world: World) -> None:
    """True the first time (the cache's triggers announce it and the revocation waits for the echo),
    False when everything was revoked already (nothing is announced: nothing to wait for)."""

    async def go() -> list[bool]:
        db = open_database(settings)
        try:
            token = (await drive.tokens(db, world.a))["access_token"]
            async with db.read() as conn:
                record = await grants.find_token(conn, hash_token(token), "access")
            assert record is not None and record.grant_id is not None
            outcomes = []
            for _ in range(2):
                async with db.transaction() as conn:
                    outcomes.append(await grants.revoke_grant(conn, record.grant_id, datetime.now(UTC)))
            return outcomes
        finally:
            await db.dispose()

    assert run(go()) == [True, False]
