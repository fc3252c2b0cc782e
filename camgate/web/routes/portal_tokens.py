"""Personal API tokens: create (shown once), list, revoke — full-access accounts only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from camgate.domain import User
from camgate.management import (
    ValidationError,
    check_expiry_date,
    create_personal_token_once,
    revoke_personal_token_of,
)
from camgate.store import personal_tokens
from camgate.store.personal_tokens import PersonalToken
from camgate.web.forms import FormData, read_form
from camgate.web.http import client_ip
from camgate.web.routes.portal_common import (
    STALE_FORM,
    chosen_scopes,
    csrf_ok,
    done_message,
    not_found,
    page,
    path_id,
    portal_page,
    see_other,
)
from camgate.web.services import services

LIST = "/portal/api/tokens"
EXPIRY_DAYS = {"30": 30, "90": 90}
NEW_PURPOSE = "portal:token-new"


def token_status(token: PersonalToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def expiry_of(form: FormData) -> datetime | None:
    """The expiry the form chose: 30 or 90 days from now, a date, or never."""
    choice = form.get("expires") or ""
    if choice in EXPIRY_DAYS:
        return datetime.now(UTC) + timedelta(days=EXPIRY_DAYS[choice])
    if choice == "date":
        return check_expiry_date(form.get("expires_date") or "")
    if choice == "never":
        return None
    raise ValidationError("expires", "Choose when the token expires.")


@portal_page(full_only=True)
async def token_list(request: Request, user: User) -> Response:
    async with services(request).db.read() as conn:
        tokens = await personal_tokens.personal_tokens_of(conn, user.id)
    now = datetime.now(UTC)
    rows = [(t, token_status(t, now)) for t in tokens]
    return await page(request, "portal/tokens.html", "tokens", {"rows": rows, "done": done_message(request)})


async def _new_form(
    request: Request, *, form: FormData | None = None, error: str | None = None, field: str = "", status: int = 200
) -> Response:
    values = {
        "name": (form.get("name") or "") if form else "",
        "scopes": chosen_scopes(form) if form else [],
        "expires": (form.get("expires") or "30") if form else "30",
        "expires_date": (form.get("expires_date") or "") if form else "",
    }
    context = {"values": values, "error": error, "field": field, "purpose": NEW_PURPOSE}
    return await page(request, "portal/token_new.html", "tokens", context, status_code=status)


@portal_page(full_only=True)
async def token_new(request: Request, user: User) -> Response:
    return await _new_form(request)


@portal_page(full_only=True)
async def token_create(request: Request, user: User) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form, NEW_PURPOSE):
        return await _new_form(request, form=form, error=STALE_FORM, status=403)
    try:
        expires_at = expiry_of(form)
        async with services(request).db.transaction() as conn:
            new = await create_personal_token_once(
                conn,
                user=user,
                name=(form.get("name") or "")[:1000],
                scopes=chosen_scopes(form),
                expires_at=expires_at,
                ip=client_ip(request),
            )
    except ValidationError as exc:
        return await _new_form(request, form=form, error=exc.message, field=exc.field, status=400)
    # Shown in this response only: never in a URL, never stored (only its hash is).
    return await page(request, "portal/token_created.html", "tokens", {"new": new}, secret=True)


async def _own_token(request: Request, user: User) -> PersonalToken | None:
    token_id = path_id(request)
    if token_id is None:
        return None
    async with services(request).db.read() as conn:
        tokens = await personal_tokens.personal_tokens_of(conn, user.id)
    return next((t for t in tokens if t.id == token_id), None)


def _revoke_purpose(token_id: int) -> str:
    return f"portal:token-revoke:{token_id}"


@portal_page(full_only=True)
async def token_revoke_confirm(request: Request, user: User) -> Response:
    token = await _own_token(request, user)
    if token is None:
        return await not_found(request, "token")
    context = {"token": token, "status": token_status(token, datetime.now(UTC)), "purpose": _revoke_purpose(token.id)}
    return await page(request, "portal/token_revoke.html", "tokens", context)


@portal_page(full_only=True)
async def token_revoke(request: Request, user: User) -> Response:
    form = await read_form(request)
    token = await _own_token(request, user)
    if token is None:
        return await not_found(request, "token")
    status = token_status(token, datetime.now(UTC))
    if status != "active":
        # A second submit (or a token that expired meanwhile): say so, change nothing.
        context = {"token": token, "status": status, "purpose": _revoke_purpose(token.id)}
        return await page(request, "portal/token_revoke.html", "tokens", context, status_code=409)
    if not csrf_ok(request, form, _revoke_purpose(token.id)):
        context = {"token": token, "status": status, "purpose": _revoke_purpose(token.id), "error": STALE_FORM}
        return await page(request, "portal/token_revoke.html", "tokens", context, status_code=403)
    async with services(request).db.transaction() as conn:
        await revoke_personal_token_of(conn, user=user, token_id=token.id, ip=client_ip(request))
    return see_other(LIST, "token-revoked")


routes = [
    Route("/portal/api/tokens", token_list, methods=["GET"]),
    Route("/portal/api/tokens", token_create, methods=["POST"]),
    Route("/portal/api/tokens/new", token_new, methods=["GET"]),
    Route("/portal/api/tokens/{id:int}/revoke", token_revoke_confirm, methods=["GET"]),
    Route("/portal/api/tokens/{id:int}/revoke", token_revoke, methods=["POST"]),
]
