"""``camgate.app``: what the application answers when a request goes wrong below the routes."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from camgate.app import create_app
from camgate.config import Settings
from tests.factories import World
from tests.support import run


def test_a_client_that_disconnects_mid_request_is_not_a_server_error(
    settings: Settings, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """wrk and impatient clients close the connection before sending the body: no 500, no ERROR
    line (it would page an operator for nothing)."""

    async def go() -> list[dict[str, Any]]:
        app = create_app(settings)
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/oauth2/token",
            "raw_path": b"/oauth2/token",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/x-www-form-urlencoded")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        async with app.router.lifespan_context(app):
            await app(scope, receive, send)
        return sent

    with caplog.at_level(logging.INFO, logger="camgate"):
        sent = run(go())
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
