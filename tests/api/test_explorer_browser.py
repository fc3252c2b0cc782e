"""The API explorer in a real browser (Debian's Chromium): paste a token, run a query, load the
schema — under the site's CSP, with nothing fetched from another origin."""

from __future__ import annotations

import json
from typing import Any

import pytest

from camgate.config import Settings
from tests.api.helpers import token_for
from tests.browser.conftest import browser, db_target, screenshot
from tests.factories import World
from tests.support import LiveServer

pytestmark = pytest.mark.browser
__all__ = ["browser", "db_target"]  # the browser suite's fixtures: Chromium, SQLite only


@pytest.fixture
def read_token(server: LiveServer, world: World, settings: Settings) -> str:
    # Minted before ``browser`` starts Playwright's event loop in this thread.
    return token_for(settings, world.a.owner, "read")


def test_explorer_runs_a_query_with_a_pasted_token(read_token: str, browser: Any, server: LiveServer) -> None:
    token = read_token
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    outside: list[str] = []
    page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(server.url) else None)
    try:
        page.goto(f"{server.url}/api/explorer")
        page.get_by_label("Token").fill(token)
        page.get_by_label("Query").fill("{ cameraList { name } }")
        page.get_by_role("button", name="Run").click()
        # (CSP forbids eval, so wait on the DOM with locators, not wait_for_function.)
        page.locator("#status", has_text="HTTP 200").wait_for()
        result = page.locator("#result").text_content() or ""
        assert json.loads(result.split("\n", 1)[1]) == {
            "data": {"cameraList": [{"name": "myCamera"}, {"name": "Front door"}, {"name": "Garage"}]}
        }
        page.get_by_role("button", name="Load schema").click()
        page.locator("#status", has_text="Schema loaded").wait_for()
        fields = page.locator("#schema li button").all_text_contents()
        assert {"cameraList", "camera", "me", "ptzMove", "setLight", "deleteRecording"} <= set(fields)
        screenshot(page, "api-explorer")
        # No page request failed; the browser's own favicon.ico request (unseen by the page's
        # events) is the one 404 the console may report. No CSP violation, no script error.
        assert [u for u in failed if not u.endswith("/favicon.ico")] == []
        assert [p for p in problems if "status of 404" not in p] == []
        assert outside == []
        assert token not in page.url
    finally:
        page.close()
