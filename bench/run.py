"""``make bench``: camgate under load, side by side with its references, in one table.

    .venv/bin/python -m bench.run                 # full run (about 15-20 minutes)
    .venv/bin/python -m bench.run --smoke         # a second per scenario, SQLite, 1 worker
    .venv/bin/python -m bench.run --configs postgresql-2 --only introspect,code --duration 5

camgate is started as an operator starts it (``camgate init`` then ``camgate serve --workers N``) on
SQLite and on PostgreSQL (a schema of its own per run, dropped at the end), seeded by
``bench.prepare``, and driven by wrk on 127.0.0.1 with ``bench/lua/feed.lua``. Every figure is
also given as a ratio to a reference measured in the same run: node oidc-provider for the OAuth
endpoints, the hello-world route on the same uvicorn stack (same worker count) for the others.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import node_peer, procs, profile, wrk
from bench.prepare import Fixture, create_pg_schema, prepare
from bench.wrk import Request
from camgate.config import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = Path(__file__).with_name("results")
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# The references run on camgate's server stack: uvicorn with `camgate serve`'s options and protocol.
SERVE = [str(BIN / "python"), "-m", "bench.serve"]
GRAPHQL_QUERY = json.dumps({"query": "{cameraList{name}}"})


@dataclass
class Row:
    config: str  # "sqlite-1w", "postgresql-2w", "reference"
    scenario: str
    conc: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    rss_mb: float = 0.0  # sum over the server's process group, after the run
    rss_max_mb: float = 0.0  # the largest single process (a worker), right as the run ends
    rss_idle_max_mb: float = 0.0  # the same, once the server has finished the requests in flight
    processes: int = 0
    server_cpu: float = 0.0  # cores used by the server's process group during the run
    wrk_cpu: float = 0.0  # cores used by wrk
    pg_cpu: float = 0.0  # cores used by PostgreSQL (all its processes, whoever they serve)
    other_cpu: float = 0.0  # cores used by everything else on the machine (other agents' tests...)
    ref: str = ""  # the reference row this one is compared with
    note: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Feed:
    """Pre-minted credentials, each handed to wrk at most once across all runs."""

    lines: list[str]
    path: Path
    cursor: int = 0

    def next_file(self) -> Path:
        self.path.write_text("\n".join(self.lines[self.cursor :]) + "\n")
        return self.path

    def take_one(self) -> str:
        self.cursor += 1
        return self.lines[self.cursor - 1]

    def consumed(self, maxpos: int, threads: int) -> None:
        # thread t of n took lines t, t+n, ...: everything below maxpos*n may have been used
        self.cursor = min(len(self.lines), self.cursor + maxpos * threads + threads)

    @property
    def left(self) -> int:
        return len(self.lines) - self.cursor


@dataclass
class Options:
    duration: float
    warmup: float
    concs: list[int]
    threads: int
    configs: list[tuple[str, int]]
    only: set[str] | None
    node: bool
    scale: int
    codes: int
    smoke: bool
    peers: bool
    out: Path
    profile: Path | None = None  # --profile: py-spy's samples of one worker per run go here


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON_CT = {"Content-Type": "application/json"}


def camgate_scenarios(fx: Fixture, login: tuple[str, str]) -> dict[str, tuple[Request, str | None, str]]:
    """name -> (request, feed name or None, reference kind)."""
    auth = {"Authorization": _basic(fx.client_id, fx.client_secret)}
    cookie, csrf = login
    return {
        "code exchange": (
            Request(
                "POST",
                "/oauth2/token",
                {**FORM, **auth},
                "grant_type=authorization_code&code={TOKEN}",
                expect='"refresh_token"',
            ),
            "codes",
            "token",
        ),
        "refresh rotation": (
            Request(
                "POST",
                "/oauth2/token",
                {**FORM, **auth},
                "grant_type=refresh_token&refresh_token={TOKEN}",
                expect='"refresh_token"',
            ),
            "refresh",
            "token",
        ),
        "introspection": (
            Request("POST", "/oauth2/introspect", {**FORM, **auth}, f"token={fx.access_token}", expect='"active":true'),
            None,
            "introspect",
        ),
        "graphql bearer": (
            Request(
                "POST",
                "/api/graphql.php",
                JSON_CT,
                GRAPHQL_QUERY,
                authz=f"Authorization: Bearer {fx.access_token}",
                expect='"cameraList"',
            ),
            None,
            "hello",
        ),
        "graphql bad token (401)": (
            Request(
                "POST",
                "/api/graphql.php",
                JSON_CT,
                GRAPHQL_QUERY,
                authz=f"Authorization: Bearer {fx.invalid_token}",
                status=401,
            ),
            None,
            "hello",
        ),
        "login POST (Argon2id t=3 m=64MiB p=4)": (
            Request(
                "POST",
                "/login",
                {**FORM, "Cookie": cookie},
                f"csrf_token={csrf}&email=bench%40example.com&password={fx.password}&next=%2F",
                status=303,
            ),
            None,
            "hello",
        ),
    }


def _http(url: str, req: Request, token: str | None = None, *, timeout: float = 10) -> tuple[int, str, Any]:
    body = req.body.replace("{TOKEN}", token or "") if req.body else None
    headers = dict(req.headers)
    if req.authz:
        name, _, value = req.authz.replace("{TOKEN}", token or "").partition(": ")
        headers[name] = value
    r = urllib.request.Request(url + req.path, data=body.encode() if body else None, headers=headers, method=req.method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(r, timeout=timeout) as resp:
            return resp.status, resp.read().decode(), resp.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace"), exc.headers


def preflight(url: str, req: Request, token: str | None) -> str | None:
    """One request by hand before the load: None if it answers as the scenario expects, else why."""
    status, text, _ = _http(url, req, token)
    if status != req.status:
        return f"HTTP {status}: {text[:160]}"
    if req.expect and req.expect not in text:
        return f"answer lacks {req.expect}: {text[:160]}"
    return None


def login_material(url: str) -> tuple[str, str]:
    """The pre-session cookie and CSRF token of the login form, as a browser would hold them."""
    status, text, headers = _http(url, Request("GET", "/login"))
    if status != 200:
        raise RuntimeError(f"GET /login answered {status}")
    cookies = [c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or []]
    marker = 'name="csrf_token" value="'
    start = text.index(marker) + len(marker)
    return "; ".join(cookies), text[start : text.index('"', start)]


def _busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine so far (/proc/stat, all CPUs)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    server: procs.Server,
    config: str,
    name: str,
    req: Request,
    opts: Options,
    feed: Feed | None,
    ref: str,
    *,
    concs: list[int] | None = None,
    duration: float | None = None,
) -> list[Row]:
    rows = []
    if opts.warmup > 0:
        procs.wait_idle(server)
        w = wrk.run(
            server.url, req, conc=16, seconds=opts.warmup, threads=opts.threads, feed=feed.next_file() if feed else None
        )
        if feed:
            feed.consumed(int(w.raw["maxpos"]), max(1, min(opts.threads, 16)))
    for conc in concs or opts.concs:
        procs.wait_idle(server)
        path = feed.next_file() if feed else None
        pg = "postgres" if config.startswith("postgresql") else "-"
        before = (time.monotonic(), _busy_seconds(), server.cpu_seconds(), _children_cpu(), procs.cpu_seconds_of(pg))
        spy = None
        if opts.profile is not None:
            slug = f"{config}-{name}-c{conc}".replace(" ", "_").replace("/", "_")
            spy = profile.start(server, duration or opts.duration, opts.profile / f"{slug}.txt")
        res = wrk.run(server.url, req, conc=conc, seconds=duration or opts.duration, threads=opts.threads, feed=path)
        after = (time.monotonic(), _busy_seconds(), server.cpu_seconds(), _children_cpu(), procs.cpu_seconds_of(pg))
        wall = after[0] - before[0]
        srv_cpu, wrk_cpu = (after[2] - before[2]) / wall, (after[3] - before[3]) / wall
        pg_cpu = max(0.0, (after[4] - before[4]) / wall)  # backends that exit mid-run take their CPU along
        other_cpu = max(0.0, (after[1] - before[1]) / wall - srv_cpu - wrk_cpu - pg_cpu)
        note = ""
        if feed:
            feed.consumed(int(res.raw["maxpos"]), max(1, min(opts.threads, conc)))
            if res.wrapped:
                note = f"feed ran out ({res.wrapped} wraps): increase --codes"
        total, biggest, count = server.rss()
        row = Row(config, name, conc, res.rps, res.p50_ms, res.p99_ms, res.errors, total / 2**20, biggest / 2**20)
        procs.wait_idle(server)  # e.g. the queue of Argon2 hashes a login run leaves behind
        row.rss_idle_max_mb = server.rss()[1] / 2**20
        row.processes, row.server_cpu, row.wrk_cpu, row.other_cpu = count, srv_cpu, wrk_cpu, other_cpu
        row.pg_cpu = pg_cpu
        row.ref, row.note, row.raw = ref, note, res.raw
        print(
            f"  {config:14} {name:40} c={conc:<3} {res.rps:9,.0f} req/s  p50 {res.p50_ms:7.2f}  "
            f"p99 {res.p99_ms:7.2f} ms  errors {res.errors}  rss {row.rss_mb:.0f} MB  cpu srv/pg/wrk/other "
            f"{srv_cpu:.2f}/{pg_cpu:.2f}/{wrk_cpu:.2f}/{other_cpu:.2f} {note}",
            flush=True,
        )
        rows.append(row)
        if spy is not None and opts.profile is not None:
            spy.wait(60)
            out = opts.profile / f"{slug}.txt"
            if out.exists():
                print(profile.summary(out), flush=True)
    return rows


# --- references ------------------------------------------------------------------------------------


def run_references(opts: Options, workdir: Path, logs: Path) -> tuple[list[Row], dict[str, str]]:
    rows: list[Row] = []
    versions: dict[str, str] = {}
    hello_workers = sorted({w for _, w in opts.configs})
    for workers in hello_workers:
        port = procs.free_port()
        cmd = [*SERVE, "bench.hello:app_factory", "--port", str(port), "--workers", str(workers)]
        server = procs.start(
            f"hello-{workers}w",
            cmd,
            port=port,
            env={},
            log=logs / f"hello-{workers}w.log",
            cwd=ROOT,
            settle=1.0 if workers > 1 else 0.3,
        )
        try:
            rows += measure(
                server,
                "reference",
                f"hello world, uvicorn+starlette {workers}w",
                Request("GET", "/hello"),
                opts,
                None,
                "",
            )
        finally:
            server.stop()
    if opts.node:
        try:
            node, versions["oidc-provider"] = node_peer.ensure_installed()
        except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as exc:
            versions["oidc-provider"] = f"not measured: npm install failed ({exc})"
            return rows, versions
        port = procs.free_port()
        client, secret = "bench-client", secrets.token_urlsafe(24)
        server = procs.start(
            "oidc-provider",
            node_peer.command(node),
            port=port,
            env=node_peer.env(port, client, secret),
            log=logs / "oidc-provider.log",
            settle=0.3,
        )
        try:
            auth = {**FORM, "Authorization": _basic(client, secret)}
            token_req = Request(
                "POST", "/token", auth, "grant_type=client_credentials&scope=read", expect='"access_token"'
            )
            if opts.only is None or any("token" in o for o in opts.only):
                rows += measure(
                    server, "reference", "oidc-provider token (client_credentials)", token_req, opts, None, ""
                )
            # Minted after the token runs: the in-memory adapter is an LRU of 1000 entries, so a
            # token minted before tens of thousands of others would be gone (and answer inactive).
            status, text, _ = _http(server.url, token_req)
            if status != 200:
                raise RuntimeError(f"oidc-provider token request answered {status}: {text[:200]}")
            token = json.loads(text)["access_token"]
            intro = Request("POST", "/token/introspection", auth, f"token={token}", expect='"active":true')
            rows += measure(server, "reference", "oidc-provider introspection", intro, opts, None, "")
        finally:
            server.stop()
    return rows, versions


PEERS = Path(os.environ.get("BENCH_PEERS", "/work/shared/bench-peers"))


def parse_authlib(md: Path, measured: bool) -> dict[int, float]:
    figures: dict[int, float] = {}
    if md.exists():
        for line in md.read_text().splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) > 4 and cells[0].startswith("Authlib") and cells[1] == "token":
                figures[int(cells[2])] = float(cells[3].replace(",", ""))
    figures[0] = float(measured)  # 1.0: measured in this run
    return figures


def peer_authlib(opts: Options) -> dict[int, float]:
    """Authlib+Flask token req/s per concurrency, from the peer instrument (run, not copied)."""
    outdir = opts.out / "peers"
    if opts.peers and (PEERS / "run_all.sh").exists():
        outdir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "ONLY": "authlib-flask",
            "OUTDIR": str(outdir),
            "DURATION": str(int(opts.duration)),
            "CONC": ",".join(map(str, opts.concs)),
            "REPS": "1",
        }
        done = subprocess.run(
            ["bash", str(PEERS / "run_all.sh")],
            env=env,
            cwd=PEERS,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        if done.returncode == 0 and (outdir / "latest.md").exists():
            return parse_authlib(outdir / "latest.md", True)
    return parse_authlib(PEERS / "results" / "latest.md", False)


# --- camgate ---------------------------------------------------------------------------------------


def camgate_env(backend: str, workdir: Path, schema: str) -> dict[str, str]:
    env = {
        "CAMGATE_VAR_DIR": str(workdir / "var"),
        "CAMGATE_SECRET_KEY": secrets.token_urlsafe(32),
        "CAMGATE_LOG_LEVEL": "warning",
        # The login scenario posts the right password for one account from many connections at
        # once; attempts are counted before the check (issue 6), so the default limit of 5 in
        # flight would measure the brute-force lock instead of Argon2.
        "CAMGATE_LOGIN_MAX_FAILURES": "1000000",
        "CAMGATE_IP_MAX_FAILURES": "1000000",
    }
    if backend == "postgresql":
        env["CAMGATE_DATABASE_URL"] = PG_ADMIN
        env["CAMGATE_DATABASE_SCHEMA"] = schema
    else:
        env["CAMGATE_DATABASE_URL"] = f"sqlite:///{workdir / 'var' / 'camgate.db'}"
    return env


def settings_from(env: dict[str, str]) -> Settings:
    return Settings(
        var_dir=Path(env["CAMGATE_VAR_DIR"]),
        database_url=env["CAMGATE_DATABASE_URL"],
        database_schema=env.get("CAMGATE_DATABASE_SCHEMA", ""),
        secret_key=env["CAMGATE_SECRET_KEY"],
    )


def measure_noauth(
    opts: Options, config: str, workers: int, env: dict[str, str], cdir: Path, logs: Path, fx: Fixture, req: Request
) -> list[Row]:
    """The same query on the bench-only build without authentication (``bench.noauth``)."""
    port = procs.free_port()
    cmd = [*SERVE, "bench.noauth:app_factory", "--port", str(port), "--workers", str(workers)]
    server = procs.start(
        f"{config}-noauth",
        cmd,
        port=port,
        env={**env, "BENCH_FIXED_TOKEN": fx.access_token},
        log=logs / f"{config}-noauth.log",
        cwd=ROOT,
        settle=1.5 if workers > 1 else 0.5,
    )
    try:
        why = preflight(server.url, req, None)
        if why is not None:
            return [Row(config, "graphql no-auth (bench-only build)", 0, ref="hello", note=why)]
        return measure(server, config, "graphql no-auth (bench-only build)", req, opts, None, "hello")
    finally:
        server.stop()


def check_revocation(server: procs.Server, fx: Fixture, codes: Feed, workers: int) -> str:
    """Revoke a fresh token, then introspect it over new connections (spread over every worker)."""
    auth = {**FORM, "Authorization": _basic(fx.client_id, fx.client_secret)}
    status, text, _ = _http(
        server.url,
        Request("POST", "/oauth2/token", auth, "grant_type=authorization_code&code={TOKEN}"),
        codes.take_one(),
    )
    if status != 200:
        return f"not checked: code exchange answered {status}"
    token = json.loads(text)["access_token"]
    intro = Request("POST", "/oauth2/introspect", auth, f"token={token}")
    active_before = sum('"active":true' in _http(server.url, intro)[1] for _ in range(4 * workers))
    status, _, _ = _http(server.url, Request("POST", "/oauth2/revoke", auth, f"token={token}"))
    after = [_http(server.url, intro)[1] for _ in range(20 * workers)]
    still = sum('"active":true' in t for t in after)
    return (
        f"{'met' if still == 0 and active_before == 4 * workers else 'MISSED'}: active on {active_before}/"
        f"{4 * workers} requests before, revoke HTTP {status}, still active on {still}/{len(after)} new-connection "
        "requests right after"
    )


def bench_config(
    backend: str, workers: int, opts: Options, workdir: Path, logs: Path, report: dict[str, Any], rows: list[Row]
) -> None:
    """Measure one config; rows are appended to ``rows`` as they come (a late failure keeps them)."""
    backend, _, extra = backend.partition("+")  # "postgresql+redis": the Redis brute-force counters
    config = f"{backend}-{workers}w" + (f"+{extra}" if extra else "")
    cdir = workdir / config
    cdir.mkdir(parents=True)
    schema = f"bench_{os.getpid()}_{config.replace('-', '_').replace('+', '_')}"
    env = camgate_env(backend, cdir, schema)
    if extra == "redis":
        env["CAMGATE_REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    if backend == "postgresql":
        asyncio.run(create_pg_schema(PG_ADMIN, schema))
    server = None
    try:
        subprocess.run([str(BIN / "camgate"), "init"], env={**os.environ, **env}, check=True, capture_output=True)
        started = time.monotonic()
        fx, code_path, refresh_path = asyncio.run(
            prepare(settings_from(env), cdir, codes=opts.codes, refresh=opts.codes)
        )
        print(
            f"[bench] {config}: seeded {opts.codes:,} codes and {opts.codes:,} refresh tokens in "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )
        feeds = {
            "codes": Feed(code_path.read_text().split(), cdir / "codes-run.txt"),
            "refresh": Feed(refresh_path.read_text().split(), cdir / "refresh-run.txt"),
        }
        port = procs.free_port()
        server = procs.start(
            config,
            [str(BIN / "camgate"), "serve", "--workers", str(workers), "--port", str(port)],
            port=port,
            env=env,
            log=logs / f"{config}.log",
            cwd=cdir,
            settle=1.5 if workers > 1 else 0.5,
        )
        scenarios = camgate_scenarios(fx, login_material(server.url))
        for name, (req, feed_name, ref) in scenarios.items():
            if opts.only and not any(o in name for o in opts.only):
                continue
            feed = feeds[feed_name] if feed_name else None
            why = preflight(server.url, req, feed.take_one() if feed else None)
            if why is not None:
                if req.path.startswith("/api/") and why.startswith("HTTP 404"):
                    why = "skipped: /api/graphql.php is not in this build yet (issue 5)"
                print(f"  {config:14} {name:40} {why}", flush=True)
                rows.append(Row(config, name, 0, ref=ref, note=why))
                continue
            if opts.smoke and name.startswith("login"):
                # ~20 Argon2 hashes a second: a 1-second run at 16 clients would finish none of them
                rows += measure(server, config, name, req, opts, feed, ref, concs=[2], duration=2)
            else:
                rows += measure(server, config, name, req, opts, feed, ref)
            if name == "graphql bearer":
                rows += measure_noauth(opts, config, workers, env, cdir, logs, fx, req)
        if backend == "postgresql" and not extra and workers == max(w for _, w in opts.configs):
            procs.wait_idle(server, limit=120)  # the login runs leave a queue of Argon2 hashes behind
            report["revocation"] = check_revocation(server, fx, feeds["codes"], workers)
            if opts.scale:
                from bench import scale

                report["scale"] = scale.run(server, fx, opts, config, schema, env, scenarios, list(rows))
                rows += report["scale"].pop("rows")
    finally:
        if server is not None:
            server.stop()
        if backend == "postgresql":
            asyncio.run(create_pg_schema(PG_ADMIN, schema, drop=True))


# --- report ----------------------------------------------------------------------------------------


def reference_for(row: Row, rows: list[Row]) -> Row | None:
    refs = {r.scenario: r for r in rows if r.config == "reference" and r.conc == row.conc}
    found = re.search(r"-(\d+)w", row.config)
    workers = found.group(1) if found else "1"
    if row.ref == "token":
        return refs.get("oidc-provider token (client_credentials)")
    if row.ref == "introspect":
        return refs.get("oidc-provider introspection")
    return refs.get(f"hello world, uvicorn+starlette {workers}w")


def _ratio(a: float, b: float | None) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def efficiency(row: Row) -> float:
    """Requests per CPU-second of the server's own processes: what a shared, busy machine distorts
    least (the req/s column depends on how much CPU the other tenants left over)."""
    return row.rps / row.server_cpu if row.server_cpu > 0.01 else 0.0


def table(rows: list[Row]) -> str:
    out = [
        "| config | scenario | conc | req/s | × ref | p50 ms | p99 ms | p99 × ref | errors | RSS MB (group / "
        "largest proc) | CPU cores server / PG / wrk / other | req per server core-s | × ref "
        "| reference (same run, same conc) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        if not row.conc:
            out.append(f"| {row.config} | {row.scenario} | | | | | | | | | | | | {row.note} |")
            continue
        ref = reference_for(row, rows) if row.config != "reference" else None
        label = ref.scenario + f" ({ref.rps:,.0f} req/s, p99 {ref.p99_ms:.1f} ms)" if ref else "—"
        if row.note:
            label += f"; {row.note}"
        rps_ratio = _ratio(row.rps, ref.rps if ref else None)
        p99_ratio = _ratio(row.p99_ms, ref.p99_ms if ref else None)
        out.append(
            f"| {row.config} | {row.scenario} | {row.conc} | {row.rps:,.0f} | {rps_ratio}"
            f" | {row.p50_ms:.2f} | {row.p99_ms:.2f} | {p99_ratio} | {row.errors}"
            f" | {row.rss_mb:.0f} / {row.rss_max_mb:.0f} / {row.rss_idle_max_mb:.0f}"
            f" | {row.server_cpu:.2f} / {row.pg_cpu:.2f} / {row.wrk_cpu:.2f} / {row.other_cpu:.2f}"
            f" | {efficiency(row):,.0f} | {_ratio(efficiency(row), efficiency(ref) if ref else None)} | {label} |"
        )
    return "\n".join(out)


def targets(rows: list[Row], report: dict[str, Any], authlib: dict[int, float]) -> list[str]:
    def find(config: str, scenario: str, conc: int) -> Row | None:
        return next(
            (r for r in rows if r.config == config and r.scenario.startswith(scenario) and r.conc == conc), None
        )

    lines = []
    main = "postgresql-2w" if any(r.config == "postgresql-2w" for r in rows) else rows[-1].config
    for conc in sorted({r.conc for r in rows if r.conc}):
        code, intro = find(main, "code exchange", conc), find(main, "introspection", conc)
        op_tok = find("reference", "oidc-provider token", conc)
        op_int = find("reference", "oidc-provider introspection", conc)
        if code and op_tok:
            ratio = code.rps / op_tok.rps
            lines.append(
                f"- token issuance (code exchange, {main}, c={conc}) >= 0.5 × oidc-provider: "
                f"{'met' if ratio >= 0.5 else 'MISSED'} ({code.rps:,.0f} vs {op_tok.rps:,.0f} req/s = {ratio:.2f}×)"
            )
            lines.append(
                f"  - per server core-second: {efficiency(code):,.0f} vs {efficiency(op_tok):,.0f} = "
                f"{_ratio(efficiency(code), efficiency(op_tok))}× (PostgreSQL's own CPU not counted)"
            )
        if code and authlib.get(conc):
            ratio = code.rps / authlib[conc]
            src = "measured in this run" if authlib.get(0) else "peer instrument's latest published run"
            lines.append(
                f"- token issuance (c={conc}) >= 3 × Authlib: {'met' if ratio >= 3 else 'MISSED'} "
                f"({code.rps:,.0f} vs {authlib[conc]:,.0f} req/s = {ratio:.2f}×, Authlib {src})"
            )
        if intro and op_int:
            ratio = intro.rps / op_int.rps
            lines.append(
                f"- introspection ({main}, c={conc}) >= 1.0 × oidc-provider: "
                f"{'met' if ratio >= 1.0 else 'MISSED'} ({intro.rps:,.0f} vs {op_int.rps:,.0f} req/s = {ratio:.2f}×)"
            )
            lines.append(
                f"  - per server core-second: {efficiency(intro):,.0f} vs {efficiency(op_int):,.0f} = "
                f"{_ratio(efficiency(intro), efficiency(op_int))}× (PostgreSQL's own CPU not counted)"
            )
        gql, noauth = find(main, "graphql bearer", conc), find(main, "graphql no-auth", conc)
        if gql and noauth and gql.rps and noauth.rps:
            cost = 1 - gql.rps / noauth.rps
            lines.append(
                f"- bearer check <= 15% of a GraphQL request (c={conc}): {'met' if cost <= 0.15 else 'MISSED'} "
                f"({gql.rps:,.0f} vs {noauth.rps:,.0f} req/s without auth: {cost:.0%})"
            )
            if efficiency(noauth):
                lines.append(
                    f"  - per server core-second: {efficiency(gql):,.0f} vs {efficiency(noauth):,.0f}: "
                    f"{1 - efficiency(gql) / efficiency(noauth):.0%}"
                )
    if "revocation" in report:
        lines.append(f"- revoked token refused on the next request on every worker: {report['revocation']}")
    cam = [r for r in rows if r.conc and r.config != "reference"]
    if cam:
        worst = max(cam, key=lambda r: r.rss_idle_max_mb)
        busiest = max(cam, key=lambda r: r.rss_max_mb)
        lines.append(
            f"- RSS per worker <= 150 MB after the runs: {'met' if worst.rss_idle_max_mb <= 150 else 'MISSED'} "
            f"(largest process once idle {worst.rss_idle_max_mb:.0f} MB, {worst.config} after {worst.scenario}; "
            f"as a run ended, with requests still in flight: {busiest.rss_max_mb:.0f} MB, "
            f"{busiest.config} {busiest.scenario})"
        )
        slow = [r for r in cam if r.conc >= 64 and r.p99_ms > 50]
        c64 = [r for r in cam if r.conc >= 64]
        if c64:
            lines.append(
                f"- p99 <= 50 ms at 64 clients everywhere: {'met' if not slow else 'MISSED'}"
                + (
                    " (over: " + "; ".join(f"{r.config} {r.scenario} {r.p99_ms:.0f} ms" for r in slow) + ")"
                    if slow
                    else ""
                )
            )
    return lines


def machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "unknown CPU",
    )
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
    wrk_v = subprocess.run([wrk.WRK, "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[0]
    return f"{os.cpu_count()} CPUs ({cpu}), {mem / 2**20:.0f} GiB RAM, Python {sys.version.split()[0]}, {wrk_v.strip()}"


def parse(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--smoke", action="store_true", help="about a second per scenario, SQLite 1 worker, no node")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per measured run (default 10)")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each scenario")
    p.add_argument("--conc", default="16,64", help="concurrencies (default 16,64)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument(
        "--configs",
        default="sqlite-1,postgresql-1,postgresql-2",
        help="backend-workers list (SQLite serves one worker: camgate refuses more)",
    )
    p.add_argument("--only", help="scenario name fragments, comma-separated")
    p.add_argument("--no-node", action="store_true", help="skip the node oidc-provider reference")
    p.add_argument("--no-peers", action="store_true", help="do not run the peer instrument for Authlib's figure")
    p.add_argument("--scale", type=int, default=1_000_000, help="stored tokens for the scale phase (0: skip)")
    p.add_argument("--scale-10m", action="store_true", help="10 million stored tokens instead")
    p.add_argument("--codes", type=int, default=60_000, help="pre-minted codes (and refresh tokens) per config")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--profile", type=Path, help="py-spy one worker during each run; samples and summaries here")
    a = p.parse_args(argv)
    configs = []
    for item in a.configs.split(",") if a.configs != "none" else []:
        backend, _, workers = item.partition("-")
        configs.append((backend, int(workers.rstrip("w") or 1)))
    if a.smoke:
        return Options(
            min(a.duration, 1.0),
            0.0,
            [16],
            min(a.threads, 2),
            [("sqlite", 1)],
            set(a.only.split(",")) if a.only else None,
            False,
            0,
            min(a.codes, 4000),
            True,
            False,
            a.out,
        )
    return Options(
        a.duration,
        a.warmup,
        [int(c) for c in a.conc.split(",")],
        a.threads,
        configs,
        set(a.only.split(",")) if a.only else None,
        not a.no_node,
        10_000_000 if a.scale_10m else a.scale,
        a.codes,
        False,
        not a.no_peers,
        a.out,
        a.profile,
    )


def render(report: dict[str, Any], rows: list[Row]) -> str:
    o = report["options"]
    md = [
        f"# camgate bench, {report['started']}",
        "",
        f"Machine: {report['machine']}. wrk -t{o['threads']} on the same cores as the server; "
        f"{o['duration']:g} s per run, warm-up {o['warmup']:g} s; total {report.get('elapsed', 0):.0f} s.",
        "",
        table(rows),
        "",
    ]
    versions = report.get("versions") or {}
    if versions:
        md += [f"Reference: {v}" for v in versions.values()] + [""]
    authlib = {int(k): v for k, v in (report.get("authlib") or {}).items()}
    goals = targets(rows, report, authlib)
    if goals:
        md += ["## Targets (issue 7)", "", *goals, ""]
    if "scale" in report:
        md += ["## Scale", "", *report["scale"].get("lines", []), ""]
    return "\n".join(md)


def rerender(path: Path, *patches: Path) -> int:
    """Print the markdown of a saved run again (after a change to the report's layout); rows of
    later runs (``patches``) replace the rows of the same config, scenario and concurrency."""
    report = json.loads(path.read_text())
    rows = [Row(**{k: v for k, v in r.items() if k in Row.__dataclass_fields__}) for r in report["rows"]]
    for patch in patches:
        for r in json.loads(patch.read_text())["rows"]:
            new = Row(**{k: v for k, v in r.items() if k in Row.__dataclass_fields__})
            key = (new.config, new.scenario, new.conc)
            if any((o.config, o.scenario, o.conc) == key for o in rows):
                rows = [new if (o.config, o.scenario, o.conc) == key else o for o in rows]
            else:
                rows.append(new)
    if "authlib" not in report:
        peers = path.parent / "peers" / "latest.md"
        report["authlib"] = parse_authlib(peers if peers.exists() else PEERS / "results" / "latest.md", peers.exists())
    print(render(report, rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) >= 3 and sys.argv[1] == "--render":
        return rerender(*(Path(a) for a in sys.argv[2:]))
    opts = parse(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    started = time.monotonic()
    opts.out.mkdir(parents=True, exist_ok=True)
    if opts.profile is not None:
        opts.profile.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": machine(),
        "started": stamp,
        "options": {
            k: (sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v)
            for k, v in asdict(opts).items()
        },
    }
    with tempfile.TemporaryDirectory(prefix="camgate-bench-") as tmp:
        workdir = Path(tmp)
        logs = workdir / "logs"
        logs.mkdir()
        print(f"[bench] {report['machine']}", flush=True)
        rows, versions = run_references(opts, workdir, logs)
        report["versions"] = versions
        for backend, workers in opts.configs:
            try:
                bench_config(backend, workers, opts, workdir, logs, report, rows)
            except Exception as exc:
                log = logs / f"{backend.split('+')[0]}-{workers}w.log"
                tail = log.read_text()[-2000:] if log.exists() else ""
                print(f"[bench] {backend}-{workers}w failed: {exc}\n{tail}", file=sys.stderr, flush=True)
                rows.append(Row(f"{backend}-{workers}w", "(config failed)", 0, note=str(exc)[:200]))
        authlib = peer_authlib(opts) if not opts.smoke else {}
    elapsed = time.monotonic() - started
    report["authlib"] = authlib
    report["elapsed"] = elapsed
    text = render(report, rows)
    print("\n" + text)
    report["rows"] = [asdict(r) for r in rows]
    (opts.out / f"{stamp}.json").write_text(json.dumps(report, indent=1, default=str))
    name = "smoke.md" if opts.smoke else "latest.md"
    (opts.out / name).write_text(text + "\n")
    failed = any(r.scenario == "(config failed)" for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
