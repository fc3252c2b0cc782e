"""Races across worker processes: ``camgate serve --workers 4`` on PostgreSQL, requests released
together by a barrier, many rounds.

RFC 6749 §4.1.2 (a code is used once), RFC 9700 §4.14.2 (refresh token rotation: one successor,
reuse revokes), RFC 7009 §2 (revocation wins over a concurrent refresh). The server's answer to
each request is checked, and then the database: no second grant, no forked chain, nothing live
after a revocation. Known bugs of this kind elsewhere: Keycloak #22448, fosite #778, Hydra #3604.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.store.models import access_tokens, authorization_codes, grants, oauth_apps, refresh_tokens
from camgate.tokens import hash_token
from tests.factories import World
from tests.flows import decide, form_fields, login, open_consent, query_of
from tests.security.conftest import scan_text_for_leaks
from tests.security.helpers import auth_params
from tests.security.processes import ServeProcess, camgate_env, seed_postgres
from tests.support import DbTarget, in_transaction, make_target, settings_for

K = 10
ROUNDS = 12
# One module-scoped cluster: keep its tests on one xdist worker (`make test` uses --dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("camgate-races")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, World, Settings]]:
    tmp = tmp_path_factory.mktemp("race")
    for target in make_target("postgresql", tmp):
        settings, world = seed_postgres(target, tmp, login_max_failures=3)
        serve = ServeProcess(settings, 4, tmp, {"CAMGATE_LOGIN_MAX_FAILURES": "3"}).start()
        try:
            yield serve, world, settings
        finally:
            serve.stop()
            secrets = {world.a.app.client_secret, world.a.pkce_app.client_secret, world.b.app.client_secret}
            leaks = scan_text_for_leaks(serve.log(), secrets)
            assert not leaks, leaks


def _together(count: int, work: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """Run ``work(i)`` in ``count`` threads released at once by a barrier."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # recorded: a dropped connection is a failure of the round
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for r in results:
        assert isinstance(r, httpx.Response), r
    return results


def _codes(base_url: str, world: World, count: int) -> list[str]:
    """``count`` codes minted beforehand by one logged-in browser (one consent each)."""
    codes = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        for _ in range(count):
            page = open_consent(client, auth_params(world.a.app))
            codes.append(query_of(decide(client, page.text).headers["location"])["code"])
    return codes


def _post(base_url: str, data: dict[str, str], path: str = "/oauth2/token") -> httpx.Response:
    with httpx.Client(timeout=30) as client:
        return client.post(f"{base_url}{path}", data=data)


def _db(settings: Settings, work: Callable[[AsyncConnection], Any]) -> Any:
    return in_transaction(settings, work)


def test_concurrent_exchanges_of_one_code_have_exactly_one_winner(
    cluster: tuple[ServeProcess, World, Settings],
) -> None:
    """RFC 6749 §4.1.2: of K identical exchanges of one code on 4 workers exactly one succeeds, and
    exactly one grant with one access and one refresh token exists for it."""
    serve, world, settings = cluster
    app = world.a.app
    for code in _codes(serve.url, world, ROUNDS):
        data = {
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "code": code,
            "redirect_uri": app.redirect_uri,
        }
        answers = _together(K, lambda _i, data=data: _post(serve.url, data))
        assert sorted(a.status_code for a in answers) == [200] + [400] * (K - 1)
        assert {a.json()["error"] for a in answers if a.status_code == 400} == {"invalid_grant"}

        async def check(conn: AsyncConnection, code: str = code) -> tuple[int, int, int]:
            grant_id = await conn.scalar(
                select(authorization_codes.c.grant_id).where(authorization_codes.c.code_hash == hash_token(code))
            )
            assert grant_id is not None
            n_access = await conn.scalar(select(func.count()).where(access_tokens.c.grant_id == grant_id))
            n_refresh = await conn.scalar(select(func.count()).where(refresh_tokens.c.grant_id == grant_id))
            revoked = await conn.scalar(select(grants.c.revoked_at).where(grants.c.id == grant_id))
            # The losers were replays: RFC 6749 §4.1.2 revokes what the code issued.
            return int(n_access or 0), int(n_refresh or 0), int(revoked is not None)

        assert _db(settings, check) == (1, 1, 1)


def _fresh_refresh_token(serve: ServeProcess, world: World, code: str) -> dict[str, Any]:
    app = world.a.app
    data = {
        "grant_type": "authorization_code",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "code": code,
        "redirect_uri": app.redirect_uri,
    }
    answer = _post(serve.url, data)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _chain(settings: Settings, refresh_token: str) -> tuple[int, int, int, int]:
    """(refresh tokens in the grant, access tokens in the grant, live ones of either, grant revoked)."""

    async def go(conn: AsyncConnection) -> tuple[int, int, int, int]:
        grant_id = await conn.scalar(
            select(refresh_tokens.c.grant_id).where(refresh_tokens.c.token_hash == hash_token(refresh_token))
        )
        n_refresh = await conn.scalar(select(func.count()).where(refresh_tokens.c.grant_id == grant_id))
        n_access = await conn.scalar(select(func.count()).where(access_tokens.c.grant_id == grant_id))
        live = 0
        for table in (access_tokens, refresh_tokens):
            live += int(
                await conn.scalar(
                    select(func.count()).where(table.c.grant_id == grant_id, table.c.revoked_at.is_(None))
                )
                or 0
            )
        revoked = await conn.scalar(select(grants.c.revoked_at).where(grants.c.id == grant_id))
        return int(n_refresh or 0), int(n_access or 0), live, int(revoked is not None)

    return _db(settings, go)


def test_concurrent_refreshes_of_one_token_have_exactly_one_winner(
    cluster: tuple[ServeProcess, World, Settings],
) -> None:
    """RFC 9700 §4.14.2: K identical refreshes on 4 workers: exactly one successor (no forked chain);
    the others are reuse, which revokes the grant (the refresh grace period is off by default)."""
    serve, world, settings = cluster
    app = world.a.app
    for code in _codes(serve.url, world, ROUNDS):
        first = _fresh_refresh_token(serve, world, code)
        data = {
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": first["refresh_token"],
        }
        answers = _together(K, lambda _i, data=data: _post(serve.url, data))
        assert sorted(a.status_code for a in answers) == [200] + [400] * (K - 1)
        n_refresh, n_access, live, revoked = _chain(settings, first["refresh_token"])
        assert (n_refresh, n_access) == (2, 2)  # the original and exactly one successor
        assert (live, revoked) == (0, 1)


def test_refresh_racing_revocation_leaves_nothing_alive(cluster: tuple[ServeProcess, World, Settings]) -> None:
    """RFC 7009 §2.2 / RFC 9700 §4.14: refreshes and revocations of one grant released together: every
    revocation succeeds, at most one refresh does, and afterwards no token of the grant is live —
    in the database and at introspection, whichever worker answers."""
    serve, world, settings = cluster
    app = world.a.app
    creds = {"client_id": app.client_id, "client_secret": app.client_secret}
    for code in _codes(serve.url, world, ROUNDS):
        first = _fresh_refresh_token(serve, world, code)
        refresh = {**creds, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        revoke = {**creds, "token": first["refresh_token"]}

        def work(i: int, refresh: dict[str, str] = refresh, revoke: dict[str, str] = revoke) -> httpx.Response:
            if i % 2:
                return _post(serve.url, revoke, "/oauth2/revoke")
            return _post(serve.url, refresh)

        answers = _together(K, work)
        revokes = [a for i, a in enumerate(answers) if i % 2]
        refreshes = [a for i, a in enumerate(answers) if not i % 2]
        assert all(a.status_code == 200 and a.json()["success"] is True for a in revokes)
        winners = [a for a in refreshes if a.status_code == 200]
        assert len(winners) <= 1
        n_refresh, _n_access, live, revoked = _chain(settings, first["refresh_token"])
        assert n_refresh == 1 + len(winners)
        assert (live, revoked) == (0, 1)
        minted = [first["access_token"]] + [w.json()["access_token"] for w in winners]
        checks = _together(
            8,
            lambda i, minted=minted: _post(
                serve.url, {**creds, "token": minted[i % len(minted)]}, "/oauth2/introspect"
            ),
        )
        assert all(c.json() == {"active": False} for c in checks)


def test_a_revoked_token_is_refused_by_every_worker_on_the_next_request(
    cluster: tuple[ServeProcess, World, Settings],
) -> None:
    """Issue 7: each worker caches live tokens (invalidated by LISTEN/NOTIFY); right after the
    revocation's 200, no worker may still accept the token, at introspection or at the API —
    however warm its cache. Many requests on new connections land on all four workers."""
    serve, world, _settings = cluster
    app = world.a.app
    creds = {"client_id": app.client_id, "client_secret": app.client_secret}
    query = {"query": "{cameraList{name}}"}
    for code in _codes(serve.url, world, ROUNDS):
        token = _fresh_refresh_token(serve, world, code)["access_token"]

        def introspect(_i: int, token: str = token) -> httpx.Response:
            return _post(serve.url, {**creds, "token": token}, "/oauth2/introspect")

        def api(_i: int, token: str = token) -> httpx.Response:
            with httpx.Client(timeout=30) as client:
                return client.post(
                    f"{serve.url}/api/graphql.php", json=query, headers={"Authorization": f"Bearer {token}"}
                )

        warm = _together(K, introspect) + _together(K, api)  # every worker has it cached now
        assert all(a.status_code == 200 for a in warm)
        assert all(a.json()["active"] is True for a in warm[:K])
        assert _post(serve.url, {**creds, "token": token}, "/oauth2/revoke").json()["success"] is True
        after = _together(K, introspect)
        assert [a.json() for a in after] == [{"active": False}] * K
        assert [a.status_code for a in _together(K, api)] == [401] * K


def test_login_lock_is_shared_by_every_worker(cluster: tuple[ServeProcess, World, Settings]) -> None:
    """RFC 6819 §4.4.3.6: the lock counts failures on every worker and holds on every worker."""
    serve, _world, _settings = cluster
    email = "shared-lock@alpha.example"

    def attempt(_i: int) -> httpx.Response:
        with httpx.Client(base_url=serve.url, timeout=30) as client:
            page = client.get("/login")
            fields = form_fields(page.text, "/login")
            fields.update(email=email, password="guess")
            return client.post("/login", data=fields)

    first = [attempt(i) for i in range(3)]
    assert [a.status_code for a in first] == [401, 401, 401]
    assert {a.status_code for a in _together(8, attempt)} == {429}


def test_access_log_lines_carry_no_query_string(cluster: tuple[ServeProcess, World, Settings]) -> None:
    """RFC 6819 §5.1.4.1.3 / RFC 9700 §4.3: the document's query-string secrets never reach the log;
    camgate's own access log still records method, path, status, duration and address."""
    serve, world, _settings = cluster
    app = world.a.app
    secret_url = f"{serve.url}/oauth2/token?client_id={app.client_id}&client_secret={app.client_secret}&code=x"
    assert httpx.post(secret_url, timeout=30).status_code in (400, 401)
    lines = [line for line in serve.log().splitlines() if "camgate.access" in line and "/oauth2/token" in line]
    assert lines
    assert all("?" not in line and app.client_secret not in line for line in lines)
    assert any(" POST /oauth2/token 4" in line and "127.0.0.1:" in line for line in lines)


def test_sqlite_serves_one_worker_and_says_so(tmp_path: Path) -> None:
    """RFC-independent operator contract (issue 6): SQLite cannot be shared by several writer
    processes safely, so ``camgate serve --workers 4`` on SQLite runs one and says so on stderr."""
    settings = settings_for(DbTarget("sqlite", f"sqlite:///{tmp_path}/one.db", None), tmp_path)
    serve = ServeProcess(settings, 1, tmp_path)
    serve.workers = 4
    serve.start(wait=False)
    try:
        serve.workers = 1
        serve.wait_ready()
        assert "SQLite runs one worker process" in serve.log()
        assert httpx.get(f"{serve.url}/healthz", timeout=10).status_code == 200
    finally:
        serve.stop()
    assert camgate_env(settings)["CAMGATE_DATABASE_URL"].startswith("sqlite")


def test_concurrent_refreshes_within_the_grace_period_share_one_successor(
    cluster: tuple[ServeProcess, World, Settings],
) -> None:
    """RFC 9700 §4.14.2 with the per-app refresh grace period on (provider B's app, 30 s): K identical
    refreshes on 4 workers all get the *same* successor pair, the chain does not fork, and the grant
    stays live."""
    serve, world, settings = cluster
    app = world.b.app

    async def enable(conn: AsyncConnection) -> None:
        await conn.execute(update(oauth_apps).where(oauth_apps.c.id == app.id).values(refresh_grace_seconds=30))

    _db(settings, enable)
    base = serve.url.replace("127.0.0.1", "localhost")
    creds = {"client_id": app.client_id, "client_secret": app.client_secret}
    with httpx.Client(base_url=base, timeout=30) as client:
        assert login(client, world.b.owner.email, world.b.password).status_code == 303
        codes = []
        for _ in range(ROUNDS // 2):
            page = open_consent(client, auth_params(app))
            codes.append(query_of(decide(client, page.text).headers["location"])["code"])
    for code in codes:
        exchange = {**creds, "grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
        first = _post(base, exchange).json()
        data = {**creds, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        answers = _together(K, lambda _i, data=data: _post(base, data))
        assert [a.status_code for a in answers] == [200] * K, [a.text for a in answers if a.status_code != 200]
        assert len({(a.json()["access_token"], a.json()["refresh_token"]) for a in answers}) == 1
        n_refresh, n_access, _live, revoked = _chain(settings, first["refresh_token"])
        assert (n_refresh, n_access, revoked) == (2, 2, 0)
        # The shared successor is a working refresh token.
        again = {**data, "refresh_token": answers[0].json()["refresh_token"]}
        assert _post(base, again).status_code == 200
