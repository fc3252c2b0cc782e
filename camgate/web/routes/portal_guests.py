"""Guest accounts of the owner's organization: list, add, set rights and cameras, disable."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from camgate.domain import Role, User
from camgate.management import (
    ValidationError,
    add_guest,
    check_guest_cameras,
    disable_user,
    enable_user,
    set_guest_rights,
)
from camgate.store import accounts
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

LIST = "/portal/api/guests"
NEW_PURPOSE = "portal:guest-new"


async def _cameras(request: Request, user: User) -> list[tuple[int, str]]:
    async with services(request).db.read() as conn:
        return await accounts.organization_cameras(conn, user.organization_id)


@portal_page(full_only=True)
async def guest_list(request: Request, user: User) -> Response:
    async with services(request).db.read() as conn:
        guests = await accounts.list_guests(conn, user.organization_id)
        cameras = dict(await accounts.organization_cameras(conn, user.organization_id))
    context = {
        "guests": guests,
        "camera_names": cameras,
        "done": done_message(request),
        "enable_purpose": enable_purpose,
    }
    return await page(request, "portal/guests.html", "guests", context)


async def _new_form(
    request: Request,
    user: User,
    *,
    form: FormData | None = None,
    error: str | None = None,
    field: str = "",
    status: int = 200,
) -> Response:
    values = {
        "email": (form.get("email") or "") if form else "",
        "rights": chosen_scopes(form, "rights") if form else ["read"],
        "cameras": form.getlist("cameras") if form else [],
    }
    context = {
        "values": values,
        "cameras": await _cameras(request, user),
        "error": error,
        "field": field,
        "purpose": NEW_PURPOSE,
    }
    return await page(request, "portal/guest_new.html", "guests", context, status_code=status)


@portal_page(full_only=True)
async def guest_new(request: Request, user: User) -> Response:
    return await _new_form(request, user)


@portal_page(full_only=True)
async def guest_create(request: Request, user: User) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form, NEW_PURPOSE):
        return await _new_form(request, user, form=form, error=STALE_FORM, status=403)
    try:
        async with services(request).db.transaction() as conn:
            cams = await check_guest_cameras(conn, user.organization_id, form.getlist("cameras"))
            await add_guest(
                conn,
                owner=user,
                email=(form.get("email") or "")[:1000],
                password=form.get("password") or "",
                rights=chosen_scopes(form, "rights"),
                camera_ids=cams,
                ip=client_ip(request),
            )
    except ValidationError as exc:
        return await _new_form(request, user, form=form, error=exc.message, field=exc.field, status=400)
    return see_other(LIST, "guest-added")


async def _own_guest(request: Request, user: User) -> User | None:
    guest_id = path_id(request)
    if guest_id is None:
        return None
    async with services(request).db.read() as conn:
        guest = await accounts.user_by_id(conn, guest_id)
    if guest is None or guest.role is not Role.GUEST or guest.organization_id != user.organization_id:
        return None
    return guest


def _edit_purpose(guest: User) -> str:
    return f"portal:guest-edit:{guest.id}"


def _disable_purpose(guest: User) -> str:
    return f"portal:guest-disable:{guest.id}"


def enable_purpose(guest_id: int) -> str:
    return f"portal:guest-enable:{guest_id}"


async def _edit_form(
    request: Request,
    user: User,
    guest: User,
    *,
    form: FormData | None = None,
    error: str | None = None,
    field: str = "",
    status: int = 200,
) -> Response:
    if form is not None:
        values = {"rights": chosen_scopes(form, "rights"), "cameras": form.getlist("cameras")}
    else:
        values = {"rights": sorted(guest.rights), "cameras": [str(c) for c in guest.camera_ids or ()]}
    context = {
        "guest": guest,
        "values": values,
        "cameras": await _cameras(request, user),
        "error": error,
        "field": field,
        "purpose": _edit_purpose(guest),
    }
    return await page(request, "portal/guest_edit.html", "guests", context, status_code=status)


@portal_page(full_only=True)
async def guest_edit(request: Request, user: User) -> Response:
    guest = await _own_guest(request, user)
    if guest is None:
        return await not_found(request, "guest")
    return await _edit_form(request, user, guest)


@portal_page(full_only=True)
async def guest_update(request: Request, user: User) -> Response:
    form = await read_form(request)
    guest = await _own_guest(request, user)
    if guest is None:
        return await not_found(request, "guest")
    if not csrf_ok(request, form, _edit_purpose(guest)):
        return await _edit_form(request, user, guest, form=form, error=STALE_FORM, status=403)
    try:
        async with services(request).db.transaction() as conn:
            cams = await check_guest_cameras(conn, user.organization_id, form.getlist("cameras"))
            await set_guest_rights(
                conn, guest, actor=user, rights=chosen_scopes(form, "rights"), camera_ids=cams, ip=client_ip(request)
            )
    except ValidationError as exc:
        return await _edit_form(request, user, guest, form=form, error=exc.message, field=exc.field, status=400)
    return see_other(LIST, "guest-updated")


@portal_page(full_only=True)
async def disable_confirm(request: Request, user: User) -> Response:
    guest = await _own_guest(request, user)
    if guest is None:
        return await not_found(request, "guest")
    return await page(
        request, "portal/guest_disable.html", "guests", {"guest": guest, "purpose": _disable_purpose(guest)}
    )


@portal_page(full_only=True)
async def guest_disable(request: Request, user: User) -> Response:
    form = await read_form(request)
    guest = await _own_guest(request, user)
    if guest is None:
        return await not_found(request, "guest")
    if not csrf_ok(request, form, _disable_purpose(guest)):
        context = {"guest": guest, "purpose": _disable_purpose(guest), "error": STALE_FORM}
        return await page(request, "portal/guest_disable.html", "guests", context, status_code=403)
    async with services(request).db.transaction() as conn:
        await disable_user(conn, user_id=guest.id, actor=user, ip=client_ip(request))
    return see_other(LIST, "guest-disabled")


@portal_page(full_only=True)
async def guest_enable(request: Request, user: User) -> Response:
    form = await read_form(request)
    guest = await _own_guest(request, user)
    if guest is None:
        return await not_found(request, "guest")
    if not csrf_ok(request, form, enable_purpose(guest.id)) or guest.is_active:
        return see_other(LIST)  # stale form or a double submit: nothing to change
    async with services(request).db.transaction() as conn:
        await enable_user(conn, user_id=guest.id, actor=user, ip=client_ip(request))
    return see_other(LIST, "guest-enabled")


routes = [
    Route("/portal/api/guests", guest_list, methods=["GET"]),
    Route("/portal/api/guests", guest_create, methods=["POST"]),
    Route("/portal/api/guests/new", guest_new, methods=["GET"]),
    Route("/portal/api/guests/{id:int}", guest_edit, methods=["GET"]),
    Route("/portal/api/guests/{id:int}", guest_update, methods=["POST"]),
    Route("/portal/api/guests/{id:int}/disable", disable_confirm, methods=["GET"]),
    Route("/portal/api/guests/{id:int}/disable", guest_disable, methods=["POST"]),
    Route("/portal/api/guests/{id:int}/enable", guest_enable, methods=["POST"]),
]
