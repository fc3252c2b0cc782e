"""Server processes for the bench: started in their own process group, measured, stopped by PID.

Nothing is ever killed by name: each server is stopped by signalling the process group of the PID
this module started (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def group_pids(self) -> list[int]:
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.getpgid(int(entry)) == self.proc.pid:
                    pids.append(int(entry))
            except (ProcessLookupError, PermissionError):
                continue
        return pids

    def rss(self) -> tuple[int, int, int]:
        """(sum of RSS over the process group, largest single process, process count), in bytes."""
        sizes = []
        for pid in self.group_pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) * 1024)
        return sum(sizes), max(sizes, default=0), len(sizes)

    def cpu_seconds(self) -> float:
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in self.group_pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self, grace: float = 15.0) -> None:
        if self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def start(
    name: str,
    cmd: Sequence[str],
    *,
    port: int,
    env: Mapping[str, str],
    log: Path,
    cwd: Path | None = None,
    timeout: float = 60.0,
    settle: float = 0.5,
) -> Server:
    """Start ``cmd`` in a new session (its own process group) and wait until ``port`` accepts."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already taken: refusing to start {name}")
    out = log.open("ab")
    proc = subprocess.Popen(
        list(cmd), env={**os.environ, **env}, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(name, proc, port, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with status {proc.returncode}; see {log}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(settle)  # let every worker finish booting
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not open port {port} within {timeout:.0f} s; see {log}")


def cpu_seconds_of(command: str) -> float:
    """CPU seconds used so far by every live process named ``command`` (e.g. PostgreSQL's backends)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                head, _, tail = Path(f"/proc/{entry}/stat").read_text().rpartition(")")
                if head.split("(", 1)[1] == command:
                    fields = tail.split()
                    total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wait_idle(server: Server, *, limit: float = 20.0, threshold: float = 0.05) -> None:
    """Wait until the server's group uses < ``threshold`` of a core: queued requests of the previous
    run (wrk has hung up, the server has not) must not eat into the next one."""
    deadline = time.monotonic() + limit
    before = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = server.cpu_seconds()
        if now - before < threshold * 0.25:
            return
        before = now
