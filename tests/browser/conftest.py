"""Browser tests: Debian's Chromium driven by Playwright, on SQLite only (the HTTP-level tests
cover PostgreSQL; a browser run per backend would only double the slowest tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support import DbTarget, LiveServer, make_target

CHROMIUM = Path("/usr/bin/chromium")
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
# Never let Playwright fetch a browser, nor Chromium phone home: the tests run offline.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture
def db_target(tmp_path: Path) -> Iterator[DbTarget]:
    yield from make_target("sqlite", tmp_path)


@pytest.fixture
def browser(server: LiveServer) -> Iterator[Any]:
    # Depends on ``server`` so the database is seeded (with asyncio.run) before Playwright's sync
    # API starts its own event loop in this thread.
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser tests need playwright (pip install -e .[test])"
    )
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def screenshot(page: Any, name: str) -> None:
    """Keep the test's last page for a human to look at (test-results/ is git-ignored)."""
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


@dataclass
class Callback:
    """The integrator's redirect URL: a tiny HTTP server on a loopback port that records hits."""

    port: int = 0
    hits: list[str] = field(default_factory=list)

    def url(self, path: str = "/cb") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def callback() -> Iterator[Callback]:
    record = Callback()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.hits.append(self.path)
            body = b"<!doctype html><title>Callback</title><h1>Callback received</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # the query holds a code: keep it quiet
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        httpd.shutdown()
        httpd.server_close()
