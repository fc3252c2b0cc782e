"""The pieces that keep secrets out of logs and outages out of 500s, tested on their own.

RFC 6819 §5.1.4.1.3 / RFC 9700 §4.3 (no credentials in logs), RFC 6749 §5.2
(``temporarily_unavailable`` rather than ``server_error`` when the database is gone).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from camgate.store.database import is_unavailable
from camgate.tokens import TokenKind, mint
from camgate.web.access_log import printable_path
from tests.security.conftest import LogScan, scan_text_for_leaks


def test_access_log_path_has_no_query_and_cannot_forge_lines() -> None:
    """RFC 9700 §4.3: the logged path never carries the query; RFC 6819 §5.1.4.1.3 log integrity: a
    percent-encoded CR LF in the path is escaped, not written as a new line."""
    scope = {"raw_path": b"/oauth2/token", "path": "/oauth2/token", "query_string": b"client_secret=cgs_x"}
    assert printable_path(scope) == "/oauth2/token"
    forged = printable_path({"path": "/x\r\nINFO camgate.access GET / 200", "raw_path": None})
    assert "\r" not in forged and "\n" not in forged
    assert printable_path({"path": "/" + "a" * 1000}).endswith("…")
    assert printable_path({"path": "/café"}) == "/caf\\xe9"


def test_the_log_scan_catches_a_leaked_credential() -> None:
    """RFC 6819 §5.1.4.1.3: the suite's own detector must see what it is meant to see."""
    scan = LogScan()
    leaked = mint(TokenKind.REFRESH)
    # Records made by hand, so the suite's own autouse scan does not see this deliberate leak.
    scan.handle(logging.makeLogRecord({"name": "camgate.oauth", "msg": "refreshing %s", "args": (leaked,)}))
    client_line = {"name": "httpx", "msg": "client-side URL holds %s", "args": (mint(TokenKind.ACCESS),)}
    scan.handle(logging.makeLogRecord(client_line))
    assert len(scan.leaks()) == 1  # the client's own log line is not the server's
    scan.lines.clear()
    assert scan.leaks() == []
    assert scan_text_for_leaks(f"line one\nsecret {leaked} here\n", set()) == [f"secret {leaked} here"]


class _FakeAsyncpgError(Exception):
    pass


def test_database_outages_are_recognised_and_bugs_are_not() -> None:
    """RFC 6749 §5.2 temporarily_unavailable: connection refused/reset, timeouts, pool exhaustion and
    asyncpg's connection errors (wrapped or not) mean "unavailable"; a constraint violation does not."""
    assert is_unavailable(ConnectionRefusedError())
    assert is_unavailable(TimeoutError())
    assert is_unavailable(PoolTimeoutError("QueuePool limit reached"))
    assert is_unavailable(OperationalError("SELECT 1", {}, Exception("gone")))
    named = type("ConnectionDoesNotExistError", (Exception,), {})
    wrapped = DBAPIError("SELECT 1", {}, named("connection was closed in the middle of operation"))
    assert is_unavailable(wrapped)
    try:
        try:
            raise named("closed")
        except Exception as exc:
            raise RuntimeError("translated") from exc
    except RuntimeError as outer:
        assert is_unavailable(outer)
    deadlock = type("DeadlockDetectedError", (Exception,), {})
    assert is_unavailable(DBAPIError("UPDATE", {}, deadlock("deadlock detected")))  # rolled back: retry
    assert not is_unavailable(IntegrityError("INSERT", {}, _FakeAsyncpgError("duplicate key")))
    assert not is_unavailable(ValueError("a bug"))
    try:
        try:
            raise ConnectionResetError
        except ConnectionResetError:
            raise KeyError("unrelated, raised while handling") from None
    except KeyError as unrelated:
        assert not is_unavailable(unrelated)
