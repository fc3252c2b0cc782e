"""The reference ceiling: a hello-world JSON route on camgate's own server stack.

Served by uvicorn with the options ``camgate serve`` uses (factory, no access log, proxy headers,
camgate's HTTP protocol that writes a response in one send), so the gap between this row and
camgate's rows is what camgate itself costs (``bench.serve``).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(_request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


def app_factory() -> Starlette:
    return Starlette(routes=[Route("/hello", hello, methods=["GET"])])

