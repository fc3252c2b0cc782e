"""``camgate serve`` as a subprocess (several workers), and a TCP proxy that can cut PostgreSQL off.

Used by the race and fault tests: real worker processes, the real CLI, the real uvicorn supervisor.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from camgate.config import Settings
from tests.factories import World, make_world
from tests.support import PG_URL, DbTarget, in_transaction, settings_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def camgate_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMGATE_")}
    env.update(
        CAMGATE_DATABASE_URL=settings.database_url,
        CAMGATE_DATABASE_SCHEMA=settings.database_schema,
        CAMGATE_SECRET_KEY=settings.secret_key,
        CAMGATE_VAR_DIR=str(settings.var_dir),
        CAMGATE_DATABASE_POOL_SIZE="5",  # 4 workers x (5 + 5 overflow) stays well inside max_connections
    )
    env.update(extra)
    return env


def camgate_cli(settings: Settings, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "camgate", *args],
        env=camgate_env(settings, **extra_env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@dataclass
class ServeProcess:
    """``camgate serve --workers N`` on a free loopback port, its stderr kept in a file."""

    settings: Settings
    workers: int
    tmp: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.tmp / f"serve-{self.port}.log"

    def start(self, wait: bool = True) -> ServeProcess:
        self.port = free_port()
        args = ["serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "camgate", *args],
                env=camgate_env(self.settings, **self.extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 45) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"camgate serve exited: {self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200 and self.workers_ready():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"camgate serve did not start: {self.log()}")

    def workers_ready(self) -> bool:
        if self.workers == 1:  # uvicorn serves in the main process itself
            return "Application startup complete" in self.log()
        return len(self.worker_pids()) >= self.workers and self.log().count("Application startup complete") >= (
            self.workers
        )

    def worker_pids(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout
        return [int(p) for p in out.split()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(timeout=10)


def seed_postgres(
    target: DbTarget, tmp: Path, db_url: str | None = None, **overrides: object
) -> tuple[Settings, World]:
    """Tables by ``camgate init`` (the migrations, as an operator would), then the test world."""
    settings = settings_for(target, tmp, **overrides)
    done = camgate_cli(settings, "init")
    assert done.returncode == 0, done.stderr
    world = in_transaction(settings, make_world)
    if db_url is not None:
        settings = settings.model_copy(update={"database_url": db_url})
    return settings, world


def pg_url_via(port: int) -> str:
    return PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{port}")


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class TcpProxy:
    """A loopback TCP proxy to PostgreSQL that a test can cut (resetting every connection and
    refusing new ones), restore, or slow down (each client→server chunk held ``delay`` seconds)."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432)) -> None:
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self.delay = 0.0
        self.closed = False
        self.lock = threading.Lock()
        self.pairs: set[tuple[socket.socket, socket.socket]] = set()
        self.generation = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                _reset(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _reset(client)
                continue
            pair = (client, server)
            with self.lock:
                self.pairs.add(pair)
            threading.Thread(target=self._pump, args=(pair, self.generation), daemon=True).start()

    def _pump(self, pair: tuple[socket.socket, socket.socket], generation: int) -> None:
        client, server = pair
        try:
            while not self.closed and generation == self.generation:
                readable, _, _ = select.select([client, server], [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client and self.delay:
                        time.sleep(self.delay)
                    if generation != self.generation:
                        return
                    (server if sock is client else client).sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.pairs.discard(pair)
            _reset(client)
            _reset(server)

    def cut(self) -> None:
        """The database is gone: every open connection is reset, new ones are refused."""
        self.up = False
        self.generation += 1
        with self.lock:
            pairs = list(self.pairs)
        for client, server in pairs:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.closed = True
        self.cut()
        self.listener.close()
