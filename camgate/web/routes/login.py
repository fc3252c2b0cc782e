"""Login and logout (the provider's login screen)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from camgate.passwords import DUMMY_HASH, verify_password_off_loop
from camgate.store import accounts, audit
from camgate.web.forms import read_form
from camgate.web.http import client_ip
from camgate.web.login_throttle import (
    LoginThrottled,
    login_allowed,
    login_failed,
    login_succeeded,
    remember_device,
)
from camgate.web.services import current_provider, services
from camgate.web.sessions import (
    CSRFError,
    check_csrf,
    csrf_token,
    current_session,
    end_session,
    ensure_pre_session,
    start_session,
)
from camgate.web.templating import render

log = logging.getLogger("camgate.login")
WRONG = "Wrong email or password."


def safe_next(value: str | None) -> str:
    """Only same-site paths: never an open redirect through ``next`` (RFC 9700 §4.11)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 for c in value):
        return "/"
    return value


async def _login_page(
    request: Request,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    retry_after: int | None = None,
) -> Response:
    await current_session(request)
    csrf = csrf_token(request, "login")
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    response = await render(
        request,
        "login.html",
        {"csrf": csrf, "next": next_url, "email": email, "error": error},
        status_code=status_code,
        headers=headers,
    )
    ensure_pre_session(request, response)
    return response


async def login_form(request: Request) -> Response:
    next_url = safe_next(request.query_params.get("next"))
    if await current_session(request) is not None:
        return RedirectResponse(next_url, status_code=302)
    return await _login_page(request, next_url=next_url)


async def login_submit(request: Request) -> Response:
    form = await read_form(request)
    next_url = safe_next(form.get("next"))
    email = (form.get("email") or "").strip()[:254]
    password = form.get("password") or ""
    try:
        check_csrf(request, form.get("csrf_token"), "login")
    except CSRFError:
        return await _login_page(
            request, next_url=next_url, email=email, error="The form expired. Please log in again.", status_code=403
        )
    if not email or not password or len(password) > 1024:
        return await _login_page(request, next_url=next_url, email=email, error=WRONG, status_code=401)
    svc = services(request)
    provider = await current_provider(request)
    ip = client_ip(request)
    try:
        await login_allowed(svc, provider.id, email, ip, request)
    except LoginThrottled as exc:
        return await _login_page(
            request, next_url=next_url, email=email, error=exc.message, status_code=429, retry_after=exc.retry_after
        )
    async with svc.db.read() as conn:
        found = await accounts.user_by_email(conn, provider_id=provider.id, email=email)
    # Verify against a dummy hash when the email is unknown: same time, same answer.
    ok = await verify_password_off_loop(found[1] if found else DUMMY_HASH, password)
    user = found[0] if found else None
    if not ok or user is None or not user.is_active:
        await login_failed(svc, provider.id, email, ip)
        async with svc.db.transaction() as conn:
            await audit.record(
                conn,
                provider_id=provider.id,
                action="login.failure",
                user_id=user.id if user else None,
                organization_id=user.organization_id if user else None,
                actor=email,
                ip=ip,
            )
        return await _login_page(request, next_url=next_url, email=email, error=WRONG, status_code=401)
    await login_succeeded(svc, provider.id, email, ip)
    response = RedirectResponse(next_url, status_code=303)
    await start_session(request, response, user)
    remember_device(svc, request, response, provider.id, user.email)
    async with svc.db.transaction() as conn:
        await audit.record(
            conn,
            provider_id=provider.id,
            action="login.success",
            user_id=user.id,
            organization_id=user.organization_id,
            actor=user.email,
            ip=ip,
        )
    return response


async def logout(request: Request) -> Response:
    form = await read_form(request)
    session = await current_session(request)
    if session is not None:
        try:
            check_csrf(request, form.get("csrf_token"), "logout")
        except CSRFError:
            return RedirectResponse("/", status_code=303)
    response = RedirectResponse("/login?" + urlencode({"next": "/"}), status_code=303)
    await end_session(request, response)
    return response


routes = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login_submit, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
