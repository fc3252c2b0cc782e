"""The API explorer at ``/api/explorer``: a page and two assets, all served by camgate itself.

A small explorer of our own rather than a vendored GraphiQL: a few kilobytes, no build step, and
it fits the site's Content-Security-Policy (``script-src 'self'``, no inline script or style).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


async def explorer_page(request: Request) -> Response:
    return FileResponse(STATIC / "explorer.html", media_type="text/html; charset=utf-8")


routes = [
    Route("/api/explorer", explorer_page, methods=["GET"]),
    Mount("/api/static", app=StaticFiles(directory=STATIC), name="api-static"),
]
