"""The start page, the provider's brand stylesheet and the health probe."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from camgate.web.services import current_provider, services
from camgate.web.sessions import current_session
from camgate.web.templating import render

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


async def home(request: Request) -> Response:
    await current_session(request)
    return await render(request, "home.html")


async def brand_css(request: Request) -> Response:
    """The provider's accent colour as CSS (the CSP allows no inline styles)."""
    provider = await current_provider(request)
    color = provider.accent_color if _HEX.match(provider.accent_color) else "#0b5fff"
    return Response(
        f":root {{ --accent: {color}; }}\n",
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=60", "Vary": "Host"},
    )


async def healthz(request: Request) -> Response:
    """200 when the database answers, 503 when it does not (for load balancers and operators).

    ``cache`` says whether this worker's read cache is answering ("live"), waiting for its
    invalidation feed ("off": every lookup goes to the database, nothing is wrong but speed), or
    not configured ("none": SQLite, or ``CAMGATE_CACHE_SECONDS=0``).
    """
    svc = services(request)
    ok = await svc.db.ping()
    cache = svc.storage.cache
    body = {"status": "ok" if ok else "unavailable", "database": ok}
    body["cache"] = "none" if cache is None else "live" if cache.live else "off"
    return JSONResponse(body, status_code=200 if ok else 503)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/brand.css", brand_css, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
]
