"""camgate's own access log: method, path, status, duration and client address — never a query.

uvicorn's access log is off (``camgate serve`` passes ``access_log=False``) because the camera
cloud's document puts ``client_secret``, ``code`` and ``access_token`` in the query string, and a
log line with the full URL would write them to disk (RFC 6819 §5.1.4.1.3, RFC 9700 §4.3). This
middleware logs the path only, with control and non-ASCII characters escaped so a crafted path
cannot forge log lines (``%0d%0a`` in a path decodes to CR LF).
"""

from __future__ import annotations

import logging
import sys
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("camgate.access")
MAX_PATH_CHARS = 300


def printable_path(scope: Scope) -> str:
    """The request path without its query string, safe to put on one log line."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else str(scope.get("path", ""))
    path = path.split("?", 1)[0]  # raw_path never holds the query, but be certain
    escaped = path.encode("ascii", "backslashreplace").decode("ascii")
    escaped = "".join(c if 0x20 <= ord(c) < 0x7F else f"\\x{ord(c):02x}" for c in escaped)
    return escaped if len(escaped) <= MAX_PATH_CHARS else escaped[:MAX_PATH_CHARS] + "…"


def ensure_handler() -> None:
    """Under ``camgate serve`` nothing configures the root logger (uvicorn configures only its own
    loggers): give the access log a stderr handler then, so its lines are not lost. Where the
    application or a test runner has configured logging, its handlers are used instead."""
    if log.hasHandlers():  # its own, camgate's (``camgate serve``) or the root logger's
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log.addHandler(handler)
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


class AccessLogMiddleware:
    """One INFO line per HTTP request: ``METHOD path status duration_ms client``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        ensure_handler()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client sees if the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            address = f"{client[0]}:{client[1]}" if client else "-"
            log.info(
                "%s %s %d %.1fms %s",
                scope.get("method", "-"),
                printable_path(scope),
                status,
                (time.perf_counter() - start) * 1000,
                address,
            )
