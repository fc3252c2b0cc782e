"""The ASGI application: routes, middleware, error handling and the process's services."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from camgate.api import routes as api_routes
from camgate.api.usage import flushing as last_used_flushing
from camgate.config import Settings, get_settings
from camgate.store.database import Database, DatabaseUnavailableError, open_database
from camgate.store.invalidation import invalidation_feed
from camgate.web.access_log import AccessLogMiddleware
from camgate.web.cors import CORSMiddleware
from camgate.web.login_throttle import build_throttle
from camgate.web.routes import login, oauth, pages, portal
from camgate.web.security import SecurityHeadersMiddleware
from camgate.web.services import NoProviderError, Services

log = logging.getLogger("camgate")
STATIC = Path(__file__).parent / "web" / "static"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(
        ("/oauth2/token", "/oauth2/revoke", "/oauth2/introspect", "/api/", "/.well-known", "/healthz")
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if _wants_json(request):
        code = {404: "not_found", 405: "invalid_request"}.get(exc.status_code, "invalid_request")
        return JSONResponse(
            {"error": code, "error_description": exc.detail}, status_code=exc.status_code, headers=headers
        )
    return PlainTextResponse(f"{exc.status_code} {exc.detail}", status_code=exc.status_code, headers=headers)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", type(exc).__name__)
    body = {"error": "temporarily_unavailable", "error_description": "the service is temporarily unavailable"}
    return JSONResponse(body, status_code=503, headers={"Retry-After": "2", "Cache-Control": "no-store"})


async def no_provider(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("No provider serves this host name.", status_code=404)


async def client_gone(request: Request, exc: Exception) -> Response:
    """The client closed the connection before its request body arrived: nobody will read an
    answer, and it is not a server error (load generators and impatient clients do this)."""
    log.info("client disconnected during %s %s", request.method, request.url.path)
    return Response(status_code=400)


async def unexpected(request: Request, exc: Exception) -> Response:
    # The client learns nothing of the failure; the log gets the exception (never the request's
    # parameters, which may hold secrets).
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    body = {"error": "server_error", "error_description": "an unexpected error occurred"}
    return JSONResponse(body, status_code=500, headers={"Cache-Control": "no-store"})


def build_routes() -> list[BaseRoute]:
    # Starlette tries routes in order: the API and token endpoints, hit by machines thousands of
    # times a second, come first (every path is distinct, so the order changes nothing else).
    routes: list[BaseRoute] = [*api_routes.routes, *oauth.routes, *pages.routes, *login.routes, *portal.routes]
    routes.append(Mount("/static", app=StaticFiles(directory=STATIC), name="static"))
    return routes


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> Starlette:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database = db or open_database(settings)
        svc = Services(settings=settings, db=database, secret_key=settings.resolved_secret_key())
        svc.throttle = build_throttle(svc)
        app.state.services = svc
        try:
            # The API's buffered "last used" times, and the read cache's invalidation feed.
            async with last_used_flushing(app, database), invalidation_feed(svc.cache_feed):
                yield
        finally:
            if db is None:
                await database.dispose()

    return Starlette(
        routes=build_routes(),
        middleware=[
            Middleware(AccessLogMiddleware),
            Middleware(SecurityHeadersMiddleware),
            Middleware(CORSMiddleware),
        ],
        exception_handlers={
            HTTPException: http_error,
            DatabaseUnavailableError: database_unavailable,
            NoProviderError: no_provider,
            ClientDisconnect: client_gone,
            Exception: unexpected,
        },
        lifespan=lifespan,
    )


def configure_logging(level_name: str) -> None:
    """camgate's own log lines (access log included) to stderr at ``CAMGATE_LOG_LEVEL``.

    uvicorn configures only its own loggers; an unknown level name falls back to INFO.
    """
    root = logging.getLogger("camgate")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
    level = logging.getLevelName(level_name.upper())
    root.setLevel(level if isinstance(level, int) else logging.INFO)


def app_factory() -> Starlette:
    """What ``camgate serve`` hands to uvicorn (``--factory``): one app per worker process."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
