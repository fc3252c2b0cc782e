"""The bench-only build of the API with authentication switched off (issue 7: "the bearer check
costs <= 15% of a GraphQL request").

It is camgate's own app (same routes, middleware, schema and resolvers, same database), except that
``camgate.api.endpoint.authenticate`` answers a fixed principal, that of the token in
``BENCH_FIXED_TOKEN``, validated once at the first request, and the per-request "last used"
bookkeeping (``note_use``) is skipped. The difference between this build and ``camgate serve`` on
the same query is therefore exactly what authentication costs. camgate's code is not modified: the
two names are replaced in this process only. Never serve this outside the bench.
"""

from __future__ import annotations

import os
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request

from camgate.api import endpoint
from camgate.app import configure_logging, create_app
from camgate.config import get_settings
from camgate.domain import TokenPrincipal

_real_authenticate = endpoint.authenticate
_fixed: list[TokenPrincipal] = []


async def fixed_principal(request: Request, now: datetime) -> TokenPrincipal:
    if not _fixed:
        token = os.environ["BENCH_FIXED_TOKEN"]
        scope = dict(request.scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"authorization"] + [
            (b"authorization", f"Bearer {token}".encode())
        ]
        _fixed.append(await _real_authenticate(Request(scope, request.receive), now))
    return _fixed[0]


def _no_note(*_args: object) -> None:
    return None


def app_factory() -> Starlette:
    endpoint.authenticate = fixed_principal  # type: ignore[assignment]
    endpoint.note_use = _no_note  # type: ignore[assignment]
    settings = get_settings()
    configure_logging(settings.log_level)  # as `camgate serve` does: no INFO access lines under the bench
    return create_app(settings)
