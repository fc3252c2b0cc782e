"""Fixtures of the attack suite: every test's logs are captured at DEBUG and scanned for credentials.

RFC 6819 §5.1.4.1.3 and RFC 9700 §4.3: secrets, tokens, codes and passwords must never reach a log.
Every test in ``tests/security`` runs with a handler at DEBUG on the root logger (and on uvicorn's
loggers, which do not propagate); after the test, every line the *server* wrote is scanned for a
full camgate credential (``cg?_`` + 49 characters: display prefixes are far shorter), for the
seeded password, and for any extra secret a test registered with ``log_scan.secrets``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from camgate.config import Settings
from tests.factories import PASSWORD, World, make_world
from tests.support import LiveServer, create_schema, in_transaction, make_target, run, settings_for

CREDENTIAL = re.compile(r"cg[parcs]_[0-9A-Za-z]{49}")
# Loggers of the test's own HTTP client: they print the URLs *we* send, which hold secrets on purpose.
CLIENT_LOGGERS = ("httpx", "httpcore", "hpack", "hypothesis", "urllib3", "requests")


class LogScan(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[tuple[str, str]] = []
        self.secrets: set[str] = {PASSWORD}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is itself worth seeing
            text = f"{record.msg!r} {record.args!r}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append((record.name, text))

    def server_lines(self) -> list[str]:
        return [text for name, text in self.lines if not name.startswith(CLIENT_LOGGERS)]

    def leaks(self) -> list[str]:
        found = []
        for text in self.server_lines():
            if CREDENTIAL.search(text) or any(s and s in text for s in self.secrets):
                found.append(text[:300])
        return found


def scan_text_for_leaks(text: str, secrets: set[str]) -> list[str]:
    """The lines of a server's captured stderr that hold a credential (multi-process tests)."""
    return [
        line[:300]
        for line in text.splitlines()
        if CREDENTIAL.search(line) or any(s and s in line for s in secrets | {PASSWORD})
    ]


@pytest.fixture(autouse=True)
def log_scan() -> Iterator[LogScan]:
    handler = LogScan()
    root = logging.getLogger()
    watched = [
        root,
        logging.getLogger("uvicorn"),
        logging.getLogger("uvicorn.error"),
        logging.getLogger("uvicorn.access"),
    ]
    before = root.level
    root.setLevel(logging.DEBUG)
    for logger in watched:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in watched:
            logger.removeHandler(handler)
        root.setLevel(before)
    leaks = handler.leaks()
    assert not leaks, f"credentials in the server's log: {leaks}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """One server and world per module and backend, for attack cases that change nothing the next
    case depends on (refused requests): seeding a world costs more than most such cases."""
    tmp = tmp_path_factory.mktemp("shared")
    for target in make_target(request.param, tmp):
        settings = settings_for(target, tmp)
        run(create_schema(settings))
        world = in_transaction(settings, make_world)
        live = LiveServer(settings).start()
        try:
            yield Shared(live, world, settings)
        finally:
            live.stop()


@dataclass
class Shared:
    server: LiveServer
    world: World
    settings: Settings
