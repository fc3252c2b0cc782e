"""The API explorer is served by camgate itself and fits the site's Content-Security-Policy."""

from __future__ import annotations

import re

import httpx

from tests.support import LiveServer


def test_explorer_page_and_assets_are_local(server: LiveServer) -> None:
    page = httpx.get(f"{server.url}/api/explorer")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert 'id="token"' in html and 'id="query"' in html and 'id="run"' in html
    # No inline script or style, and nothing from another origin.
    assert re.findall(r"<script[^>]*>\s*[^<\s]", html) == []
    assert " style=" not in html and "<style" not in html
    assert re.findall(r"(?:src|href)=\"(https?:)?//", html) == []
    for asset in re.findall(r"(?:src|href)=\"(/api/static/[^\"]+)\"", html):
        got = httpx.get(server.url + asset)
        assert got.status_code == 200, asset
    script = httpx.get(f"{server.url}/api/static/explorer.js").text
    assert "fetch(endpoint" in script and "Authorization" in script
    assert "localStorage" not in script  # the pasted token is never kept
