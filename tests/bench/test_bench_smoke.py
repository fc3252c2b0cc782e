"""A smoke run of ``make bench`` (``python -m bench.run --smoke``): the harness starts camgate as an
operator would, seeds it, drives it with wrk and prints its table.

It asserts what the harness produces (every scenario measured or explicitly skipped, non-zero
throughput, no errors), never how fast: speed belongs to the bench itself.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed"),
    pytest.mark.xdist_group("bench"),
]


def test_smoke_run_prints_a_table_with_throughput_and_no_errors(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| config | scenario | conc | req/s |" in done.stdout
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    rows = report["rows"]
    measured = {r["scenario"]: r for r in rows if r["conc"]}
    skipped = {r["scenario"]: r["note"] for r in rows if not r["conc"]}
    # the reference and every OAuth scenario ran; only the API may be absent from a build
    for name in ("hello world", "code exchange", "refresh rotation", "introspection", "login POST"):
        assert any(n.startswith(name) for n in measured), (name, measured.keys(), skipped)
    assert all("graphql" in name for name in skipped), skipped
    for name, row in measured.items():
        assert row["rps"] > 0, (name, row)
        assert row["errors"] == 0, (name, row)
        assert row["rss_mb"] > 0, (name, row)
    assert (tmp_path / "smoke.md").read_text().count("\n| sqlite-1w |") >= 4
