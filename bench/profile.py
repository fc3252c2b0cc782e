"""``--profile``: py-spy samples one worker during each measured run, and a short summary of them.

py-spy (a sampling profiler, from PyPI) attaches to the busiest server process for the run's
duration and writes collapsed stacks (``-f raw``: one ``frame;frame;… count`` line per distinct
stack); ``summary`` turns them into the functions that hold the most samples, inclusive (the
function or anything it calls) and by module, which is what docs/performance.md quotes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench.procs import Server

PY_SPY = Path(sys.executable).parent / "py-spy"


def available() -> str | None:
    """The py-spy binary, or None."""
    return str(PY_SPY) if PY_SPY.exists() else shutil.which("py-spy")


def busiest_worker(server: Server) -> int:
    """The process of the group that used the most CPU so far (a worker, not the supervisor)."""
    best, best_ticks = server.proc.pid, -1
    for pid in server.group_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks = int(fields[11]) + int(fields[12])
        if ticks > best_ticks:
            best, best_ticks = pid, ticks
    return best


def start(server: Server, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    binary = available()
    if binary is None:
        print("[bench] --profile: py-spy is not installed (.venv/bin/pip install py-spy)", flush=True)
        return None
    cmd = [binary, "record", "--nonblocking", "-r", "250", "-d", str(max(1, int(seconds))), "-f", "raw"]
    cmd += ["-o", str(out), "-p", str(busiest_worker(server))]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _frame_name(frame: str) -> tuple[str, str]:
    """``func (path/to/module.py:12)`` -> (``func``, ``module path``)."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "/camgate/", "/bench/"):
        if marker in path:
            path = (
                path.split(marker, 1)[1]
                if marker == "site-packages/"
                else marker.strip("/") + "/" + path.split(marker, 1)[1]
            )
            break
    return name, path


def summary(raw: Path, top: int = 12) -> str:
    total = 0
    functions: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        seen_functions: set[str] = set()
        seen_packages: set[str] = set()
        for frame in stack.split(";"):
            name, path = _frame_name(frame)
            seen_functions.add(f"{name} ({path})")
            seen_packages.add(path.split("/", 1)[0] if "/" in path else path)
        for key in seen_functions:
            functions[key] += count
        for key in seen_packages:
            packages[key] += count
    if not total:
        return "  (no samples)"
    lines = [f"  {total} samples; inclusive share by package:"]
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in packages.most_common(top)]
    lines.append("  inclusive share by function:")
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in functions.most_common(top * 3)]
    return "\n".join(lines)
