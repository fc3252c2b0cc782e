"""What every page of the portal's </> API section shares: who may see it, forms, answers.

Every page needs a login (else the login screen, then back); some need a full-access account
(a guest gets 403). Objects named by an id in the URL are looked up only among the user's own,
so another organization's id is a plain 404 and never shows someone else's data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from camgate.domain import SCOPES, Role, User
from camgate.web.forms import FormData
from camgate.web.sessions import CSRFError, check_csrf, csrf_token, current_session
from camgate.web.templating import render

Handler = Callable[[Request, User], Awaitable[Response]]

# Database ids are 32-bit integers: anything larger in a URL cannot be a row (and must not
# reach PostgreSQL, which would refuse the comparison with an error).
MAX_ID = 2**31 - 1

STALE_FORM = "This form has expired or was already submitted. Nothing was changed; please try again."

# Messages a page shows after a post/redirect/get: the redirect names one by key, so no
# user-controlled text is ever echoed from the URL.
DONE_MESSAGES = {
    "token-revoked": "The token was revoked. It no longer works.",
    "app-updated": "The application was saved.",
    "app-deleted": "The application was deleted, and every token it issued no longer works.",
    "access-revoked": "Access was revoked: every token of that application for your account no longer works.",
    "guest-added": "The guest account was added.",
    "guest-updated": "The guest's rights and cameras were saved.",
    "guest-disabled": "The guest account was disabled, and every token it held no longer works.",
    "guest-enabled": "The guest account can log in again (the tokens it held before stay revoked).",
}


def portal_page(*, full_only: bool = False) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler: log-in required, and a full-access account when ``full_only``."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            session = await current_session(request)
            if session is None:
                target = request.url.path
                if request.method == "GET" and request.url.query:
                    target += "?" + request.url.query
                return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
            user = session[1]
            if full_only and user.role is not Role.FULL:
                return await error_page(
                    request,
                    "Only full-access accounts can use this page.",
                    title="Not allowed",
                    status_code=403,
                )
            return await handler(request, user)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def path_id(request: Request, name: str = "id") -> int | None:
    """The numeric id in the URL, or None when it cannot name a row."""
    value = request.path_params.get(name)
    return value if isinstance(value, int) and 0 < value <= MAX_ID else None


def csrf_ok(request: Request, form: FormData, purpose: str) -> bool:
    try:
        check_csrf(request, form.get("csrf_token"), purpose)
    except CSRFError:
        return False
    return True


def done_message(request: Request) -> str | None:
    return DONE_MESSAGES.get(request.query_params.get("done", ""))


def see_other(path: str, done: str | None = None) -> RedirectResponse:
    """Post/redirect/get: the page to show after a successful POST."""
    return RedirectResponse(path + (f"?done={done}" if done else ""), status_code=303)


def chosen_scopes(form: FormData, field: str = "scope") -> list[str]:
    """The ticked rights, in catalogue order; unknown values are kept so the check can name them."""
    ticked = form.getlist(field)
    known = [s for s in SCOPES if s in ticked]
    return known + [s for s in ticked if s not in SCOPES]


async def page(
    request: Request,
    template: str,
    section: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    secret: bool = False,
) -> Response:
    """Render a portal page; ``secret`` pages (a token shown once) are never stored by any cache."""
    ctx = {"section": section, "csrf": lambda purpose: csrf_token(request, purpose), **(context or {})}
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"} if secret else None
    return await render(request, template, ctx, status_code=status_code, headers=headers)


async def error_page(request: Request, message: str, *, title: str = "Not found", status_code: int = 404) -> Response:
    return await render(request, "error.html", {"title": title, "message": message}, status_code=status_code)


async def not_found(request: Request, what: str = "page") -> Response:
    return await error_page(request, f"There is no such {what} in your account.")
