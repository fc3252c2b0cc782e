"""Faults: PostgreSQL cut off mid-load, worker processes killed, a graceful stop under load.

RFC 6749 §4.1.2.1 / §5.2 ``temporarily_unavailable`` (503), RFC 6819 §5.1.5.x (integrity of issued
tokens), issue 6's fault cases: fail fast, tell /healthz, issue nothing that was not stored, consume
no refresh token without storing its successor, recover without a restart.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.store import grants as grant_store
from camgate.store.models import access_tokens, refresh_tokens
from camgate.tokens import TokenKind, hash_token, mint
from tests.factories import World
from tests.flows import decide, login, open_consent, query_of
from tests.security.conftest import scan_text_for_leaks
from tests.security.helpers import auth_params
from tests.security.processes import ServeProcess, TcpProxy, pg_url_via, seed_postgres
from tests.support import LiveServer, in_transaction, make_target

pytestmark = pytest.mark.slow


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[TcpProxy, Settings, Settings, World]]:
    """A seeded PostgreSQL schema, a proxy in front of it, and settings through the proxy (for the
    server) and direct (for the test's own checks)."""
    for target in make_target("postgresql", tmp_path):
        direct, world = seed_postgres(target, tmp_path)
        proxy = TcpProxy()
        try:
            yield proxy, direct.model_copy(update={"database_url": pg_url_via(proxy.port)}), direct, world
        finally:
            proxy.close()


def _mint_codes(settings: Settings, world: World, count: int) -> list[str]:
    """Codes written straight to the database (as a consent would), to keep the test quick."""
    codes = [mint(TokenKind.CODE) for _ in range(count)]
    now = datetime.now(UTC)

    async def work(conn: AsyncConnection) -> None:
        for code in codes:
            await grant_store.insert_code(
                conn,
                code_hash=hash_token(code),
                app_id=world.a.app.id,
                user_id=world.a.owner.id,
                redirect_uri=world.a.app.redirect_uri,
                redirect_uri_given=True,
                scopes=["read"],
                code_challenge=None,
                code_challenge_method=None,
                now=now,
                expires_at=now + timedelta(minutes=10),
            )

    in_transaction(settings, work)
    return codes


def _exchange(base: str, world: World, code: str) -> httpx.Response:
    app = world.a.app
    data = {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "code": code,
        "redirect_uri": app.redirect_uri,
    }
    return httpx.post(f"{base}/oauth2/token", data=data, timeout=20)


def _refresh(base: str, world: World, token: str) -> httpx.Response:
    app = world.a.app
    data = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": token,
    }
    return httpx.post(f"{base}/oauth2/token", data=data, timeout=20)


def _assert_unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "temporarily_unavailable"
    assert answer.headers["retry-after"]


def test_database_gone_mid_load_fails_fast_and_recovers(
    proxied: tuple[TcpProxy, Settings, Settings, World],
) -> None:
    """RFC 6749 §5.2 temporarily_unavailable: with PostgreSQL cut off under load every request is a
    quick 503 (never a 500, never a hang), /healthz says 503; every token answered 200 is stored,
    every refresh token is either untouched or rotated with its successor stored; the server serves
    again by itself once the database is back."""
    proxy, via_proxy, direct, world = proxied
    codes = _mint_codes(direct, world, 60)
    server = LiveServer(via_proxy).start()
    try:
        refreshes = []
        for code in codes[:20]:
            answer = _exchange(server.url, world, code)
            assert answer.status_code == 200, answer.text
            refreshes.append(answer.json()["refresh_token"])
        issued: list[str] = []
        answered_503: list[str] = []
        other: list[str] = []
        stop = threading.Event()

        def load() -> None:
            pending_codes = list(codes[20:])
            pending_refresh = list(refreshes)
            while not stop.is_set() and (pending_codes or pending_refresh):
                if pending_refresh:
                    token = pending_refresh.pop()
                    answer = _refresh(server.url, world, token)
                else:
                    token = pending_codes.pop()
                    answer = _exchange(server.url, world, token)
                if answer.status_code == 200:
                    issued.append(answer.json()["access_token"])
                    if "refresh_token" in answer.json() and token in refreshes:
                        issued.append(answer.json()["refresh_token"])
                elif answer.status_code == 503:
                    answered_503.append(token)
                else:
                    other.append(f"{answer.status_code} {answer.text[:200]}")
                time.sleep(0.02)

        loader = threading.Thread(target=load)
        loader.start()
        time.sleep(0.3)
        proxy.cut()
        health = httpx.get(f"{server.url}/healthz", timeout=10)
        assert health.status_code == 503
        assert health.json()["database"] is False
        app = world.a.app
        creds = {"client_id": app.client_id, "client_secret": app.client_secret, "token": refreshes[0]}
        _assert_unavailable(httpx.post(f"{server.url}/oauth2/introspect", data=creds, timeout=10))
        _assert_unavailable(_refresh(server.url, world, refreshes[0]))
        time.sleep(0.5)
        proxy.restore()
        deadline = time.monotonic() + 20
        while httpx.get(f"{server.url}/healthz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "camgate did not recover after the database came back"
            time.sleep(0.2)
        loader.join(60)
        stop.set()
        assert not other, other
        assert answered_503, "the cut was not seen by any request"
        # Recovered: fresh work succeeds.
        assert httpx.get(f"{server.url}/login", timeout=10).status_code == 200
    finally:
        server.stop()

    async def check(conn: AsyncConnection) -> None:
        for token in issued:
            table = access_tokens if token.startswith("cga_") else refresh_tokens
            found = await conn.scalar(select(table.c.id).where(table.c.token_hash == hash_token(token)))
            assert found is not None, "a token was answered 200 but never stored"
        rows = (await conn.execute(select(refresh_tokens))).all()
        by_id = {row.id: row for row in rows}
        for row in rows:
            if row.rotated_at is not None:
                assert row.successor_id in by_id, "a refresh token was consumed without its successor"

    in_transaction(direct, check)


def _flow_until_consent(base: str, world: World) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=base, timeout=30)
    assert login(client, world.a.owner.email, world.a.password).status_code == 303
    return client, open_consent(client, auth_params(world.a.app, "read", state="k"))


def _wait_workers(serve: ServeProcess, count: int, old: set[int]) -> None:
    deadline = time.monotonic() + 40
    while True:
        pids = set(serve.worker_pids())
        if len(pids) >= count and not (pids & old):
            break
        assert time.monotonic() < deadline, "uvicorn did not replace the killed workers"
        time.sleep(0.2)
    serve.wait_ready()


def test_workers_killed_mid_flow_another_worker_finishes_it(tmp_path: Path) -> None:
    """Issue 6 (no per-process secrets): SIGKILL every worker between consent and token exchange; the
    supervisor's new workers accept the session, the CSRF token and the code. RFC 6749 §4.1.3."""
    for target in make_target("postgresql", tmp_path):
        settings, world = seed_postgres(target, tmp_path)
        serve = ServeProcess(settings, 2, tmp_path).start()
        try:
            client, page = _flow_until_consent(serve.url, world)
            first = set(serve.worker_pids())
            for pid in first:
                os.kill(pid, signal.SIGKILL)
            _wait_workers(serve, 2, first)
            answer = decide(client, page.text)
            assert answer.status_code == 303, answer.text
            code = query_of(answer.headers["location"])["code"]
            second = set(serve.worker_pids())
            for pid in second:
                os.kill(pid, signal.SIGKILL)
            _wait_workers(serve, 2, second)
            token = _exchange(serve.url, world, code)
            assert token.status_code == 200, token.text
            client.close()
        finally:
            serve.stop()
        assert not scan_text_for_leaks(serve.log(), {world.a.app.client_secret})


def test_sigterm_lets_in_flight_requests_finish(
    proxied: tuple[TcpProxy, Settings, Settings, World], tmp_path: Path
) -> None:
    """Graceful shutdown: requests already being served when SIGTERM arrives (held up here by a slow
    database) all get their answer; none is dropped."""
    proxy, via_proxy, direct, world = proxied
    codes = _mint_codes(direct, world, 6)
    serve = ServeProcess(via_proxy, 2, tmp_path).start()
    results: list[Any] = [None] * len(codes)
    try:
        # Warm each worker's provider cache and connection pool (concurrently, so each pool holds
        # several connections), then slow the database down: every round trip takes 0.1 s more.
        app = world.a.app
        creds = {"client_id": app.client_id, "client_secret": app.client_secret, "token": "x"}

        def warm(_i: int) -> None:
            httpx.post(f"{serve.url}/oauth2/introspect", data=creds, timeout=20)

        for _round in range(3):
            warmers = [threading.Thread(target=warm, args=(i,)) for i in range(8)]
            for t in warmers:
                t.start()
            for t in warmers:
                t.join(30)
        proxy.delay = 0.1

        def run(i: int) -> None:
            try:
                results[i] = _exchange(serve.url, world, codes[i])
            except Exception as exc:
                results[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(codes))]
        for t in threads:
            t.start()
        time.sleep(0.4)
        assert serve.proc is not None
        serve.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(60)
        assert serve.proc.wait(timeout=60) is not None
    finally:
        proxy.delay = 0
        serve.stop()
    statuses = [r.status_code if isinstance(r, httpx.Response) else repr(r) for r in results]
    assert statuses == [200] * len(codes)
