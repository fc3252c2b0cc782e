"""Scale phase (PostgreSQL): the same bearer-check and introspection runs with millions of stored
tokens, ``camgate purge`` under traffic, and what a million tokens cost on disk."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Any

from bench import procs
from bench.prepare import Fixture, bulk_tokens, relation_sizes

if TYPE_CHECKING:
    from bench.run import Options, Row
    from bench.wrk import Request

SCENARIO_TABLES = ("access_tokens", "refresh_tokens")
SCENARIOS = ("introspection", "graphql bearer", "graphql bad token (401)")


def _mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"


def run(
    server: procs.Server,
    fx: Fixture,
    opts: Options,
    config: str,
    schema: str,
    env: dict[str, str],
    scenarios: dict[str, tuple[Request, str | None, str]],
    baseline: list[Row],
) -> dict[str, Any]:
    from bench.run import BIN, PG_ADMIN, measure, preflight

    millions = opts.scale / 1e6
    lines: list[str] = []
    rows: list[Row] = []
    seconds = asyncio.run(bulk_tokens(PG_ADMIN, schema, fx, opts.scale))
    lines.append(
        f"- {opts.scale:,} access tokens and {opts.scale:,} refresh tokens COPY-ed in {seconds:.0f} s "
        "(half of them expired two days ago, past purge's one-day grace)."
    )
    sizes = asyncio.run(relation_sizes(PG_ADMIN, schema))
    for table in ("access_tokens", "refresh_tokens"):
        s = sizes[table]
        per = s["n"] / 1e6 or 1
        lines.append(
            f"- `{table}`: {s['n']:,} rows, total {_mb(s['total'])} = heap {_mb(s['heap'])} + indexes "
            f"{_mb(s['indexes'])}; per million rows: {_mb(s['total'] / per)} total, {_mb(s['indexes'] / per)} "
            "of it indexes"
        )
    label = f"@{millions:g}M tokens"
    for name in SCENARIOS:
        req = scenarios[name][0]
        if preflight(server.url, req, None) is not None:
            lines.append(f"- {name} {label}: skipped (not available in this build)")
            continue
        measured = measure(server, config, f"{name} {label}", req, opts, None, scenarios[name][2])
        rows += measured
        for row in measured:
            base = next((b for b in baseline if b.config == config and b.scenario == name and b.conc == row.conc), None)
            if base is None or not base.p99_ms:
                continue
            change = row.p99_ms / base.p99_ms - 1
            verdict = "met" if change <= 0.20 else "MISSED"
            lines.append(
                f"- {name} p99 at c={row.conc} within 20% of the empty database: {verdict} "
                f"({row.p99_ms:.1f} ms vs {base.p99_ms:.1f} ms, {change:+.0%}; req/s {row.rps:,.0f} vs {base.rps:,.0f})"
            )
    # purge under traffic: introspection load runs while `camgate purge` deletes in batches
    req = scenarios["introspection"][0]
    conc = max(opts.concs)
    result: dict[str, Any] = {}
    duration = max(opts.duration, 20.0)

    def load() -> None:
        result["rows"] = measure(
            server,
            config,
            f"introspection during purge {label}",
            req,
            opts,
            None,
            "introspect",
            concs=[conc],
            duration=duration,
        )

    opts_warm = opts.warmup
    opts.warmup = 0
    worker = threading.Thread(target=load)
    worker.start()
    time.sleep(2)
    started = time.monotonic()
    done = subprocess.run(
        [str(BIN / "camgate"), "purge", "--batch", "5000"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    purge_s = time.monotonic() - started
    worker.join()
    opts.warmup = opts_warm
    rows += result.get("rows", [])
    try:
        purged = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        purged = {"error": done.stderr.strip()[-300:]}
    during = result.get("rows", [None])[0]
    base = next((b for b in baseline if b.config == config and b.scenario == "introspection" and b.conc == conc), None)
    overlap = min(purge_s, duration - 2)
    text = (
        f"- `camgate purge --batch 5000` under introspection load (c={conc}): exit {done.returncode}, "
        f"{purge_s:.1f} s, deleted {purged}; it overlapped {overlap:.0f} s of the {duration:.0f} s run"
    )
    if during is not None:
        text += f"; during it: {during.rps:,.0f} req/s, p99 {during.p99_ms:.1f} ms, errors {during.errors}"
        if base is not None:
            text += f" (empty database: {base.rps:,.0f} req/s, p99 {base.p99_ms:.1f} ms)"
    lines.append(text)
    after = asyncio.run(relation_sizes(PG_ADMIN, schema))
    left = ", ".join(f"`{t}` {after[t]['n']:,} rows, {_mb(after[t]['total'])}" for t in SCENARIO_TABLES)
    lines.append(f"- after purge: {left} (PostgreSQL reuses the freed pages; VACUUM FULL would return them to the OS)")
    return {"rows": rows, "lines": lines, "sizes": sizes, "sizes_after_purge": after, "purge": purged}
