"""Brute-force protection: login per account and per address, client secrets per client.

RFC 6819 §4.4.3.6 and §5.1.4.2.3 (online guessing of passwords and client secrets: lock or slow
down), RFC 9700 §4.15 (client authentication), OWASP ASVS V2.2.1 (the same answer whether or not
the account exists). The limits here are small (``settings_for(..., login_max_failures=3)``).
"""

from __future__ import annotations

import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

import camgate.web.routes.login as login_routes
from camgate.config import Settings
from camgate.passwords import DUMMY_HASH
from camgate.store.database import open_database
from camgate.store.models import throttle_counters
from camgate.store.throttle import DbThrottle, Limit
from tests.factories import World
from tests.flows import form_fields
from tests.security.helpers import assert_oauth_error
from tests.support import DbTarget, LiveServer, create_schema, in_transaction, run, settings_for

LIMITS: dict[str, Any] = {
    "login_max_failures": 3,
    "login_lock_seconds": 60,
    "login_lock_max_seconds": 300,
    "ip_max_failures": 1000,
    "client_max_failures": 3,
}


@pytest.fixture
def limits(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {**LIMITS, **getattr(request, "param", {})}


@pytest.fixture
def settings(db_target: DbTarget, tmp_path: Path, limits: dict[str, Any]) -> Settings:
    return settings_for(db_target, tmp_path, **limits)


def _attempt(client: httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/login")
    fields = form_fields(page.text, "/login")
    fields.update(email=email, password=password)
    return client.post("/login", data=fields)


def _message(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page.text)
    assert found, page.text[:500]
    return re.sub(r"\d+", "N", found.group(1))


def test_account_lock_looks_the_same_for_known_and_unknown_emails(server: LiveServer, world: World) -> None:
    """RFC 6819 §4.4.3.6 (lock after failed attempts) and OWASP ASVS V2.2.1 / V3.2: known and unknown
    emails get the same status, message and Retry-After, so the lock reveals no account."""
    answers: dict[str, list[tuple[int, str]]] = {}
    for email in (world.a.owner.email, "nobody@alpha.example"):
        with httpx.Client(base_url=server.url) as client:
            seen = [_attempt(client, email, f"guess-{i}") for i in range(3)]
            locked = _attempt(client, email, world.a.password)
        assert [a.status_code for a in seen] == [401, 401, 401]
        assert locked.status_code == 429
        assert 0 < int(locked.headers["retry-after"]) <= 60
        answers[email] = [(a.status_code, _message(a)) for a in [*seen, locked]]
    assert answers[world.a.owner.email] == answers["nobody@alpha.example"]


def test_unknown_email_is_verified_against_a_dummy_hash(
    server: LiveServer, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OWASP ASVS V2.2.1 / RFC 6819 §5.1.4.2.3: an unknown email costs one Argon2 verification too, so
    the answer's timing does not tell which emails exist."""
    calls: list[str] = []
    real = login_routes.verify_password_off_loop

    async def spy(stored: str, password: str) -> bool:
        calls.append(stored)
        return await real(stored, password)

    monkeypatch.setattr(login_routes, "verify_password_off_loop", spy)
    with httpx.Client(base_url=server.url) as client:
        assert _attempt(client, "nobody@alpha.example", "guess").status_code == 401
        assert _attempt(client, world.a.owner.email, "guess").status_code == 401
    assert calls[0] == DUMMY_HASH
    assert len(calls) == 2 and calls[1] != DUMMY_HASH


@pytest.mark.parametrize("limits", [{"ip_max_failures": 4, "login_max_failures": 100}], indirect=True)
def test_client_address_is_locked_across_accounts(server: LiveServer, world: World) -> None:
    """RFC 6819 §4.4.3.6: one address spraying many accounts is locked as a whole; a known-device
    cookie does not lift an address lock."""
    with httpx.Client(base_url=server.url) as owner:
        assert _attempt(owner, world.a.owner.email, world.a.password).status_code == 303
        device = owner.cookies.get("cg_device")
    with httpx.Client(base_url=server.url) as attacker:
        for i in range(4):
            assert _attempt(attacker, f"victim{i}@alpha.example", "guess").status_code == 401
        assert _attempt(attacker, world.a.guest.email, world.a.password).status_code == 429
    with httpx.Client(base_url=server.url, cookies={"cg_device": device or ""}) as again:
        assert _attempt(again, world.a.owner.email, world.a.password).status_code == 429


def test_known_device_lets_the_owner_in_while_the_account_is_locked(server: LiveServer, world: World) -> None:
    """RFC 6819 §4.4.3.6 warns that account locks let an attacker deny service to the owner: a browser
    that logged in before carries a signed known-device cookie, and the account lock does not apply
    to it. A browser without it, even with the right password, waits."""
    with httpx.Client(base_url=server.url) as owner:
        assert _attempt(owner, world.a.owner.email, world.a.password).status_code == 303
        device = owner.cookies.get("cg_device")
    assert device
    with httpx.Client(base_url=server.url) as attacker:
        for _ in range(3):
            assert _attempt(attacker, world.a.owner.email, "guess").status_code == 401
        assert _attempt(attacker, world.a.owner.email, world.a.password).status_code == 429
    with httpx.Client(base_url=server.url, cookies={"cg_device": device}) as owner_again:
        assert _attempt(owner_again, world.a.owner.email, world.a.password).status_code == 303
    # A device cookie of one account does not unlock another.
    with httpx.Client(base_url=server.url) as guest_attacker:
        for _ in range(3):
            _attempt(guest_attacker, world.a.guest.email, "guess")
    with httpx.Client(base_url=server.url, cookies={"cg_device": device}) as borrowed:
        assert _attempt(borrowed, world.a.guest.email, world.a.password).status_code == 429


def test_forged_device_cookie_does_not_bypass_the_lock(server: LiveServer, world: World) -> None:
    """RFC 6819 §4.4.3.6: the bypass is an HMAC under the server key, not a guessable value."""
    with httpx.Client(base_url=server.url) as attacker:
        for _ in range(3):
            _attempt(attacker, world.a.owner.email, "guess")
    with httpx.Client(base_url=server.url, cookies={"cg_device": "0" * 64 + "." + "f" * 64}) as forged:
        assert _attempt(forged, world.a.owner.email, world.a.password).status_code == 429


def test_account_lock_expires(server: LiveServer, world: World, settings: Settings) -> None:
    """RFC 6819 §4.4.3.6: a lock is temporary; once it runs out the right password works again."""
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            _attempt(client, world.a.owner.email, "guess")
        assert _attempt(client, world.a.owner.email, world.a.password).status_code == 429

        async def end_locks(conn: AsyncConnection) -> None:
            past = datetime.now(UTC) - timedelta(seconds=1)
            await conn.execute(update(throttle_counters).values(locked_until=past))

        in_transaction(settings, end_locks)
        assert _attempt(client, world.a.owner.email, world.a.password).status_code == 303


def test_client_secret_failures_are_throttled_per_client(server: LiveServer, world: World) -> None:
    """RFC 6819 §5.1.4.2.3 / RFC 9700 §4.15: guessing a client secret online is throttled per client
    (429 + Retry-After, still an RFC 6749 §5.2 error body); the right secret is never locked out
    (client_ids are public), and other clients are not affected."""
    app, other = world.a.app, world.a.pkce_app

    def token(client_id: str, secret: str) -> httpx.Response:
        data = {"grant_type": "refresh_token", "client_id": client_id, "client_secret": secret, "refresh_token": "x"}
        return httpx.post(f"{server.url}/oauth2/token", data=data)

    for i in range(3):
        assert_oauth_error(token(app.client_id, f"cgs_guess{i}"), "invalid_client", 401)
    locked = token(app.client_id, "cgs_guess3")
    assert_oauth_error(locked, "invalid_client", 429)
    assert int(locked.headers["retry-after"]) > 0
    assert_oauth_error(token(app.client_id, app.client_secret), "invalid_grant")  # authenticated
    assert_oauth_error(token(other.client_id, other.client_secret), "invalid_grant")


def _throttle_case(settings: Settings) -> list[int]:
    """Four locks of one key with limit (2 failures, 10 s, ceiling 25 s): the waits it reports."""

    async def go() -> list[int]:
        db = open_database(settings)
        throttle = DbThrottle(db, lambda key: Limit(2, 10, 25, 900))
        waits = []
        try:
            for _ in range(4):
                await throttle.failure("login:test")
                assert await throttle.retry_after("login:test") == 0
                await throttle.failure("login:test")
                waits.append(await throttle.retry_after("login:test"))
                async with db.transaction() as conn:
                    await conn.execute(update(throttle_counters).values(locked_until=datetime.now(UTC)))
            await throttle.failure("login:test")
            await throttle.success("login:test")
            async with db.read() as conn:
                row = (await conn.execute(select(throttle_counters))).one()
            assert (row.failures, row.lock_count, row.locked_until) == (0, 0, None)
        finally:
            await db.dispose()
        return waits

    return run(go())


def test_locks_double_up_to_a_ceiling(settings: Settings) -> None:
    """RFC 6819 §4.4.3.6 ("lock … for an increasing amount of time") with a cap, so nobody is locked out
    for long: 10 s, 20 s, then the 25 s ceiling; a success forgets everything."""
    run(create_schema(settings))
    waits = _throttle_case(settings)
    assert 8 <= waits[0] <= 10
    assert 18 <= waits[1] <= 20
    assert 23 <= waits[2] <= 25 and 23 <= waits[3] <= 25


def _redis_url() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Redis at 127.0.0.1:6379 is not reachable, and CI=true")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")


@pytest.fixture
def redis_url() -> Iterator[str]:
    yield _redis_url()


def test_redis_throttle_has_the_same_policy(redis_url: str) -> None:
    """RFC 6819 §4.4.3.6 with counters in Redis (CAMGATE_REDIS_URL): lock, doubling, ceiling, success."""
    from camgate.store.throttle_redis import PREFIX, RedisThrottle

    async def go() -> list[int]:
        throttle = RedisThrottle(redis_url, lambda key: Limit(2, 10, 25, 900))
        key = f"login:test-{uuid.uuid4().hex}"
        waits = []
        try:
            for _ in range(4):
                await throttle.failure(key)
                assert await throttle.retry_after(key) == 0
                await throttle.failure(key)
                waits.append(await throttle.retry_after(key))
                await throttle.client.delete(f"{PREFIX}l:{key}")
            await throttle.success(key)
            assert await throttle.client.exists(*throttle._keys(key)) == 0
            # Counting before checking: two reservations pass, the third waits.
            assert [await throttle.reserve(key) for _ in range(2)] == [0, 0]
            assert 8 <= await throttle.reserve(key) <= 10
            await throttle.success(key)
        finally:
            await throttle.close()
        return waits

    waits = run(go())
    assert waits == [10, 20, 25, 25]


@pytest.mark.parametrize("db_target", ["sqlite"], indirect=True)
def test_server_uses_redis_when_configured(
    db_target: DbTarget, tmp_path: Path, redis_url: str, world: World, settings: Settings
) -> None:
    """RFC 6819 §4.4.3.6 shared by every worker: with CAMGATE_REDIS_URL the lock lives in Redis (the
    database's counter table stays empty) and works the same."""
    live = LiveServer(settings.model_copy(update={"redis_url": redis_url})).start()
    email = f"nobody-{uuid.uuid4().hex[:8]}@alpha.example"
    try:
        with httpx.Client(base_url=live.url) as client:
            for _ in range(3):
                assert _attempt(client, email, "guess").status_code == 401
            assert _attempt(client, email, "guess").status_code == 429
    finally:
        live.stop()

    async def count(conn: AsyncConnection) -> int:
        return len((await conn.execute(select(throttle_counters))).all())

    assert in_transaction(settings, count) == 0


def test_purge_drops_stale_counters_and_keeps_running_locks(settings: Settings) -> None:
    """RFC 6819 §4.4.3.6 without a growing table: guessing unknown emails leaves one row each;
    ``camgate purge`` deletes those a day old with no running lock, and keeps the rest."""
    from sqlalchemy import insert

    from camgate.store.purge import purge_expired

    run(create_schema(settings))
    now = datetime.now(UTC)
    old = now - timedelta(days=2)

    async def seed(conn: AsyncConnection) -> None:
        rows = [
            ("login:1:stale", old, None),
            ("login:1:fresh", now, None),
            ("login:1:locked", old, now + timedelta(minutes=5)),
        ]
        for key, start, until in rows:
            values = {"key": key, "failures": 2, "window_start": start, "lock_count": 1, "locked_until": until}
            await conn.execute(insert(throttle_counters).values(**values))

    in_transaction(settings, seed)
    purged = run(purge_expired(open_database(settings), batch=1))
    assert purged["throttle_counters"] == 1

    async def keys(conn: AsyncConnection) -> set[str]:
        return set((await conn.scalars(select(throttle_counters.c.key))).all())

    assert in_transaction(settings, keys) == {"login:1:fresh", "login:1:locked"}


def test_concurrent_guesses_cannot_overshoot_the_limit(server: LiveServer, world: World) -> None:
    """RFC 6819 §4.4.3.6 under concurrency: twelve wrong passwords for one account released together
    get exactly ``login_max_failures`` (3) password checks; the other nine are refused unchecked,
    because each attempt is counted atomically before its password is verified."""
    clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(12)]
    forms = []
    for client in clients:
        fields = form_fields(client.get("/login").text, "/login")
        fields.update(email=world.a.owner.email, password="guess")
        forms.append(fields)
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def attempt(i: int) -> None:
        barrier.wait()
        statuses.append(clients[i].post("/login", data=forms[i]).status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for client in clients:
        client.close()
    assert sorted(statuses) == [401] * 3 + [429] * 9
