"""Driving wrk (Debian's /usr/bin/wrk) with ``lua/feed.lua`` and reading its one-line JSON summary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LUA = Path(__file__).with_name("lua") / "feed.lua"
WRK = shutil.which("wrk") or "/usr/bin/wrk"


@dataclass
class Request:
    """What a scenario sends: ``{TOKEN}`` in ``body``/``authz`` takes the next line of the feed."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    authz: str | None = None
    status: int = 200
    expect: str | None = None


@dataclass
class Result:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    wrapped: int
    raw: dict[str, float]


def run(
    url: str, req: Request, *, conc: int, seconds: float, threads: int = 2, feed: Path | None = None, timeout: int = 10
) -> Result:
    threads = max(1, min(threads, conc))
    env = {
        **os.environ,
        "BENCH_METHOD": req.method,
        "BENCH_PATH": req.path,
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in req.headers.items()),
        "BENCH_STATUS": str(req.status),
        "BENCH_THREADS": str(threads),
    }
    for key, value in (("BENCH_BODY", req.body), ("BENCH_AUTHZ", req.authz), ("BENCH_EXPECT", req.expect)):
        if value is not None:
            env[key] = value
    if feed is not None:
        env["BENCH_FEED"] = str(feed)
    cmd = [
        WRK,
        f"-t{threads}",
        f"-c{conc}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout}s",
        "-s",
        str(LUA),
        url,
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + timeout + 30, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary (exit {out.returncode}): {out.stderr.strip()[:500]}")
    raw = json.loads(line[len("BENCHJSON ") :])
    secs = raw["duration_us"] / 1e6
    errors = int(raw["connect"] + raw["read"] + raw["write"] + raw["timeout"] + raw["unexpected"])
    return Result(
        requests=int(raw["requests"]),
        seconds=secs,
        rps=raw["requests"] / secs if secs else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        errors=errors,
        wrapped=int(raw["wrapped"]),
        raw=raw,
    )
