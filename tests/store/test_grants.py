"""``store.grants``: single use enforced by the database, grant revocation, lookups by hash.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from camgate.config import Settings
from camgate.oauth.errors import InvalidGrantError
from camgate.store import grants
from camgate.store.database import open_database
from camgate.tokens import hash_token
from tests.factories import World
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
