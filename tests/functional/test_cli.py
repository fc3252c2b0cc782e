"""The admin CLI (issue 2): every command prints ONE JSON object; every rejected input is one line
on stderr, a non-zero exit, and writes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate import cli
from camgate.config import Settings, get_settings
from camgate.store.models import metadata
from tests.support import DbTarget, LiveServer, in_transaction, settings_for


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        assert self.code == 0, self.err
        assert self.err == ""
        lines = self.out.strip().splitlines()
        assert len(lines) == 1, self.out  # one JSON object, on one line
        value = json.loads(lines[0])
        assert isinstance(value, dict)
        return value


@dataclass
class Cli:
    settings: Settings
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *argv: str) -> Result:
        self.capsys.readouterr()
        code = cli.main(list(argv))
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def counts(self) -> dict[str, int]:
        async def count(conn: AsyncConnection) -> dict[str, int]:
            return {
                t.name: int(await conn.scalar(select(func.count()).select_from(t)) or 0) for t in metadata.sorted_tables
            }

        return in_transaction(self.settings, count)


@pytest.fixture
def run_cli(
    db_target: DbTarget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    settings = settings_for(db_target, tmp_path)
    monkeypatch.setenv("CAMGATE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CAMGATE_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("CAMGATE_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("CAMGATE_VAR_DIR", str(settings.var_dir))
    get_settings.cache_clear()
    yield Cli(settings, capsys)
    get_settings.cache_clear()


def seed(run: Cli) -> dict[str, Any]:
    """A provider with an organization, a camera, an owner and an app, through the CLI itself."""
    assert run("init").json() == {"database": "migrated to head"}
    provider = run(
        "provider", "add", "--name", "acme", "--host", "cams.acme.test", "--host", "ACME.test", "--default"
    ).json()
    org = run("org", "add", "--host", "cams.acme.test", "--name", "Acme HQ").json()
    camera = run(
        "camera", "add", "--host", "cams.acme.test", "--org", "Acme HQ", "--name", "Lobby", "--model", "AXIS M3106"
    ).json()
    owner = run(
        "user",
        "add",
        "--host",
        "acme.test",
        "--org",
        "Acme HQ",
        "--email",
        "owner@acme.test",
        "--password",
        "long enough pw",
        "--role",
        "full",
    ).json()
    app = run(
        "app",
        "add",
        "--host",
        "cams.acme.test",
        "--owner",
        "owner@acme.test",
        "--name",
        "Dashboard",
        "--redirect-uri",
        "https://dash.acme.test/cb",
    ).json()
    return {"provider": provider, "org": org, "camera": camera, "owner": owner, "app": app}


def test_every_command_prints_one_json_object(run_cli: Cli) -> None:
    run = run_cli
    made = seed(run)
    assert made["provider"]["hosts"] == ["cams.acme.test", "acme.test"] and made["provider"]["default"] is True
    assert made["org"]["name"] == "Acme HQ"
    assert made["camera"] | {"id": 0, "organization_id": 0} == {
        "id": 0,
        "name": "Lobby",
        "model": "AXIS M3106",
        "organization_id": 0,
    }
    assert made["owner"]["role"] == "full" and len(made["owner"]["rights"]) == 10
    assert made["app"]["client_id"] and made["app"]["client_secret"].startswith("cgs_")
    assert made["app"]["redirect_uris"] == ["https://dash.acme.test/cb"]
    assert made["app"]["refresh_grace_seconds"] == 0

    providers = run("provider", "list").json()["providers"]
    assert [p["name"] for p in providers] == ["acme"]
    guest = run(
        "user",
        "add",
        "--host",
        "cams.acme.test",
        "--org",
        "Acme HQ",
        "--email",
        "guest@acme.test",
        "--password",
        "long enough pw",
        "--role",
        "guest",
        "--rights",
        "read,liveview",
        "--camera",
        "Lobby",
    ).json()
    assert guest["rights"] == ["liveview", "read"] and guest["cameras"] == ["Lobby"]
    native = run(
        "app",
        "add",
        "--host",
        "cams.acme.test",
        "--owner",
        "owner@acme.test",
        "--name",
        "Phone",
        "--redirect-uri",
        "com.acme.app:/cb",
        "--redirect-uri",
        "http://127.0.0.1/cb",
        "--require-pkce",
        "--refresh-grace-seconds",
        "30",
        "--description",
        "the phone app",
    ).json()
    assert native["require_pkce"] is True and native["refresh_grace_seconds"] == 30
    token = run(
        "token",
        "add",
        "--host",
        "cams.acme.test",
        "--user",
        "owner@acme.test",
        "--scope",
        "read,events",
        "--name",
        "ci",
        "--expires-in",
        "3600",
    ).json()
    assert token["token"].startswith("cgp_") and token["scope"] == "events read" and token["expires_at"]
    assert run("init").json() == {"database": "migrated to head"}  # again: nothing to do
    purged = run("purge").json()
    assert set(purged) == {"authorization_codes", "access_tokens", "refresh_tokens", "sessions", "throttle_counters"}


def test_grace_seconds_reaches_the_store(run_cli: Cli) -> None:
    run = run_cli
    seed(run)
    made = run(
        "app",
        "add",
        "--host",
        "acme.test",
        "--owner",
        "owner@acme.test",
        "--name",
        "Graceful",
        "--redirect-uri",
        "https://g.acme.test/cb",
        "--refresh-grace-seconds",
        "60",
    ).json()

    async def grace(conn: AsyncConnection) -> int:
        from camgate.store.models import oauth_apps

        return int(
            await conn.scalar(
                select(oauth_apps.c.refresh_grace_seconds).where(oauth_apps.c.client_id == made["client_id"])
            )
            or -1
        )

    assert in_transaction(run.settings, grace) == 60


def test_demo_is_idempotent_and_prints_the_same_credentials(run_cli: Cli) -> None:
    first = run_cli("demo").json()
    counts = run_cli.counts()
    second = run_cli("demo").json()
    assert first == second
    assert run_cli.counts() == counts
    text = json.dumps(first)
    assert "cgs_" in text  # the demo app's client secret
    assert "127.0.0.1:8765/callback" in text


REJECTED: list[tuple[str, list[str], str]] = [
    ("duplicate host", ["provider", "add", "--name", "other", "--host", "ACME.TEST"], "acme.test"),
    ("malformed host", ["provider", "add", "--name", "other", "--host", "https://x.test/"], "host"),
    ("host with port", ["provider", "add", "--name", "other", "--host", "x.test:8000"], "host"),
    (
        "duplicate email",
        [
            "user",
            "add",
            "--host",
            "acme.test",
            "--org",
            "Acme HQ",
            "--email",
            "OWNER@acme.test",
            "--password",
            "long enough pw",
            "--role",
            "full",
        ],
        "already exists",
    ),
    (
        "unknown organization",
        [
            "user",
            "add",
            "--host",
            "acme.test",
            "--org",
            "Nope",
            "--email",
            "n@acme.test",
            "--password",
            "long enough pw",
            "--role",
            "full",
        ],
        "Nope",
    ),
    ("unknown organization (camera)", ["camera", "add", "--host", "acme.test", "--org", "Nope", "--name", "C"], "Nope"),
    ("unknown host", ["org", "add", "--host", "elsewhere.test", "--name", "X"], "elsewhere.test"),
    (
        "unknown user (app owner)",
        [
            "app",
            "add",
            "--host",
            "acme.test",
            "--owner",
            "nobody@acme.test",
            "--name",
            "X",
            "--redirect-uri",
            "https://x.test/cb",
        ],
        "nobody@acme.test",
    ),
    (
        "unknown user (token)",
        ["token", "add", "--host", "acme.test", "--user", "nobody@acme.test", "--scope", "read"],
        "nobody@acme.test",
    ),
    (
        "duplicate app name",
        [
            "app",
            "add",
            "--host",
            "acme.test",
            "--owner",
            "owner@acme.test",
            "--name",
            "Dashboard",
            "--redirect-uri",
            "https://x.test/cb",
        ],
        "Dashboard",
    ),
    (
        "unknown scope",
        ["token", "add", "--host", "acme.test", "--user", "owner@acme.test", "--scope", "read,admin"],
        "admin",
    ),
    (
        "unknown right",
        [
            "user",
            "add",
            "--host",
            "acme.test",
            "--org",
            "Acme HQ",
            "--email",
            "g@acme.test",
            "--password",
            "long enough pw",
            "--role",
            "guest",
            "--rights",
            "read,root",
        ],
        "root",
    ),
    (
        "rights on a full account",
        [
            "user",
            "add",
            "--host",
            "acme.test",
            "--org",
            "Acme HQ",
            "--email",
            "f@acme.test",
            "--password",
            "long enough pw",
            "--role",
            "full",
            "--rights",
            "read",
        ],
        "rights",
    ),
    (
        "grace out of range",
        [
            "app",
            "add",
            "--host",
            "acme.test",
            "--owner",
            "owner@acme.test",
            "--name",
            "G",
            "--redirect-uri",
            "https://x.test/cb",
            "--refresh-grace-seconds",
            "61",
        ],
        "60",
    ),
]
REJECTED.append(
    (
        "unknown camera",
        [
            "user",
            "add",
            "--host",
            "acme.test",
            "--org",
            "Acme HQ",
            "--email",
            "g2@acme.test",
            "--password",
            "long enough pw",
            "--role",
            "guest",
            "--rights",
            "read",
            "--camera",
            "Lobby",
            "--camera",
            "Nope",
        ],
        "Nope",
    )
)
for uri in (
    "/relative/cb",
    "cb",
    "https://x.test/cb#frag",
    "javascript:alert(1)",
    "data:text/html,x",
    "file:///etc/passwd",
):
    REJECTED.append(
        (
            f"redirect {uri}",
            [
                "app",
                "add",
                "--host",
                "acme.test",
                "--owner",
                "owner@acme.test",
                "--name",
                f"App {uri}",
                "--redirect-uri",
                "https://ok.test/cb",
                "--redirect-uri",
                uri,
            ],
            "",
        )
    )


def test_rejected_inputs_write_nothing(run_cli: Cli) -> None:
    run = run_cli
    seed(run)
    before = run.counts()
    for name, argv, mentioned in REJECTED:
        got = run(*argv)
        assert got.code != 0, name
        assert got.out == "", name
        lines = got.err.strip().splitlines()
        assert len(lines) == 1, (name, got.err)
        assert lines[0].startswith("camgate: error: "), name
        assert "Traceback" not in got.err
        assert mentioned in lines[0], (name, lines[0])
        assert run.counts() == before, name


def test_accepted_redirect_uris(run_cli: Cli) -> None:
    run = run_cli
    seed(run)
    for i, uri in enumerate(("https://a.test/cb?x=1", "http://localhost:3000/cb", "com.example.app:/oauth")):
        made = run(
            "app",
            "add",
            "--host",
            "acme.test",
            "--owner",
            "owner@acme.test",
            "--name",
            f"ok {i}",
            "--redirect-uri",
            uri,
        ).json()
        assert made["redirect_uris"] == [uri]


def test_console_entry_point_as_a_subprocess(run_cli: Cli) -> None:
    """``python -m camgate`` with the environment pointing at the test database."""
    env = {**os.environ}
    seed(run_cli)
    ok = subprocess.run(
        [sys.executable, "-m", "camgate", "provider", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["providers"][0]["name"] == "acme"
    bad = subprocess.run(
        [sys.executable, "-m", "camgate", "org", "add", "--host", "nope.test", "--name", "X"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode != 0 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("camgate: error: ")


def test_healthz_answers_200_when_the_database_answers(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/healthz")
    assert answer.status_code == 200


def test_healthz_says_whether_the_read_cache_answers(server: LiveServer) -> None:
    """PostgreSQL: the cache goes live once its LISTEN connection is up; SQLite has none."""
    expected = "none" if server.settings.resolved_database_url.startswith("sqlite") else "live"
    deadline = time.monotonic() + 10
    while (state := httpx.get(f"{server.url}/healthz").json()["cache"]) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state == expected
