"""Page rendering: Jinja2 with autoescaping, every page branded with the request's provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from camgate.domain import SCOPE_DESCRIPTIONS
from camgate.web.services import current_provider
from camgate.web.sessions import csrf_token

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.globals["SCOPE_DESCRIPTIONS"] = SCOPE_DESCRIPTIONS


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"


env.filters["when"] = _when


async def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    provider = await current_provider(request)
    session = request.scope.get("camgate.session")
    page = env.get_template(template).render(
        request=request,
        provider=provider,
        user=session[1] if session else None,
        logout_csrf=csrf_token(request, "logout") if session else None,
        **(context or {}),
    )
    return HTMLResponse(page, status_code=status_code, headers=headers)
