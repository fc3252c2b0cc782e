"""OAuth2 applications: register (client_secret shown once), edit, rotate the secret, delete.

Full-access accounts only; an app id that is not one of the user's own apps is a 404.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from camgate.domain import App, User
from camgate.management import (
    ValidationError,
    create_app,
    delete_app_of_owner,
    rotate_client_secret,
    update_app_settings,
)
from camgate.store import apps
from camgate.store.providers import DuplicateError
from camgate.web.forms import FormData, read_form
from camgate.web.http import client_ip
from camgate.web.routes.portal_common import (
    STALE_FORM,
    csrf_ok,
    done_message,
    not_found,
    page,
    path_id,
    portal_page,
    see_other,
)
from camgate.web.services import services

LIST = "/portal/api/apps"
NEW_PURPOSE = "portal:app-new"


def _values(form: FormData | None, app: App | None = None) -> dict[str, object]:
    if form is not None:
        return {
            "name": form.get("name") or "",
            "description": form.get("description") or "",
            "redirect_uris": form.get("redirect_uris") or "",
            "require_pkce": form.get("require_pkce") == "on",
        }
    if app is not None:
        return {
            "name": app.name,
            "description": app.description,
            "redirect_uris": "\n".join(app.redirect_uris),
            "require_pkce": app.require_pkce,
        }
    return {"name": "", "description": "", "redirect_uris": "", "require_pkce": False}


def _uris(form: FormData) -> list[str]:
    return (form.get("redirect_uris") or "").splitlines()


@portal_page(full_only=True)
async def app_list(request: Request, user: User) -> Response:
    rows = []
    async with services(request).db.read() as conn:
        for app in await apps.apps_of_owner(conn, user.id):
            users, last = await apps.app_usage(conn, app.id)
            rows.append((app, users, last))
    return await page(request, "portal/apps.html", "apps", {"rows": rows, "done": done_message(request)})


async def _new_form(
    request: Request, *, form: FormData | None = None, error: str | None = None, field: str = "", status: int = 200
) -> Response:
    context = {"values": _values(form), "error": error, "field": field, "purpose": NEW_PURPOSE}
    return await page(request, "portal/app_new.html", "apps", context, status_code=status)


@portal_page(full_only=True)
async def app_new(request: Request, user: User) -> Response:
    return await _new_form(request)


@portal_page(full_only=True)
async def app_create(request: Request, user: User) -> Response:
    form = await read_form(request)
    if not csrf_ok(request, form, NEW_PURPOSE):
        return await _new_form(request, form=form, error=STALE_FORM, status=403)
    try:
        async with services(request).db.transaction() as conn:
            new = await create_app(
                conn,
                owner=user,
                name=form.get("name") or "",
                description=form.get("description") or "",
                redirect_uris=_uris(form),
                require_pkce=form.get("require_pkce") == "on",
                ip=client_ip(request),
            )
    except ValidationError as exc:
        return await _new_form(request, form=form, error=exc.message, field=exc.field, status=400)
    except DuplicateError:
        # Also what a resubmitted form meets: the first submit made the app, the second is refused.
        name = (form.get("name") or "").strip()
        message = f"You already have an application named {name!r}; choose another name."
        return await _new_form(request, form=form, error=message, field="name", status=400)
    return await page(
        request, "portal/app_created.html", "apps", {"app": new.app, "secret": new.client_secret}, secret=True
    )


async def _own_app(request: Request, user: User) -> App | None:
    app_id = path_id(request)
    if app_id is None:
        return None
    async with services(request).db.read() as conn:
        app = await apps.app_by_id(conn, app_id)
    if app is None or app.owner_id != user.id or app.provider_id != user.provider_id:
        return None
    return app


def _edit_purpose(app: App) -> str:
    return f"portal:app-edit:{app.id}"


def _secret_purpose(app: App) -> str:
    # Bound to the current secret's hash: once rotated, a resubmitted form is stale, so a double
    # submit cannot rotate twice and leave the page showing a secret that was already replaced.
    return f"portal:app-secret:{app.id}:{app.client_secret_hash}"


def _delete_purpose(app: App) -> str:
    return f"portal:app-delete:{app.id}"


async def _detail(
    request: Request,
    app: App,
    *,
    form: FormData | None = None,
    error: str | None = None,
    field: str = "",
    status: int = 200,
) -> Response:
    async with services(request).db.read() as conn:
        users, last = await apps.app_usage(conn, app.id)
    context = {
        "app": app,
        "users": users,
        "last_used": last,
        "values": _values(form, app),
        "error": error,
        "field": field,
        "purpose": _edit_purpose(app),
        "done": done_message(request),
    }
    return await page(request, "portal/app_detail.html", "apps", context, status_code=status)


@portal_page(full_only=True)
async def app_detail(request: Request, user: User) -> Response:
    app = await _own_app(request, user)
    if app is None:
        return await not_found(request, "application")
    return await _detail(request, app)


@portal_page(full_only=True)
async def app_update(request: Request, user: User) -> Response:
    form = await read_form(request)
    app = await _own_app(request, user)
    if app is None:
        return await not_found(request, "application")
    if not csrf_ok(request, form, _edit_purpose(app)):
        return await _detail(request, app, form=form, error=STALE_FORM, status=403)
    try:
        async with services(request).db.transaction() as conn:
            await update_app_settings(
                conn,
                app,
                actor=user,
                name=form.get("name") or "",
                description=form.get("description") or "",
                redirect_uris=_uris(form),
                require_pkce=form.get("require_pkce") == "on",
                ip=client_ip(request),
            )
    except ValidationError as exc:
        return await _detail(request, app, form=form, error=exc.message, field=exc.field, status=400)
    return see_other(f"{LIST}/{app.id}", "app-updated")


@portal_page(full_only=True)
async def secret_confirm(request: Request, user: User) -> Response:
    app = await _own_app(request, user)
    if app is None:
        return await not_found(request, "application")
    return await page(request, "portal/app_secret.html", "apps", {"app": app, "purpose": _secret_purpose(app)})


@portal_page(full_only=True)
async def secret_rotate(request: Request, user: User) -> Response:
    form = await read_form(request)
    app = await _own_app(request, user)
    if app is None:
        return await not_found(request, "application")
    if not csrf_ok(request, form, _secret_purpose(app)):
        context = {"app": app, "purpose": _secret_purpose(app), "error": STALE_FORM}
        return await page(request, "portal/app_secret.html", "apps", context, status_code=403)
    async with services(request).db.transaction() as conn:
        secret = await rotate_client_secret(conn, app, actor=user, ip=client_ip(request))
    context = {"app": app, "secret": secret, "rotated": True}
    return await page(request, "portal/app_created.html", "apps", context, secret=True)


@portal_page(full_only=True)
async def delete_confirm(request: Request, user: User) -> Response:
    app = await _own_app(request, user)
    if app is None:
        return await not_found(request, "application")
    async with services(request).db.read() as conn:
        users, _ = await apps.app_usage(conn, app.id)
    context = {"app": app, "users": users, "purpose": _delete_purpose(app)}
    return await page(request, "portal/app_delete.html", "apps", context)


@portal_page(full_only=True)
async def app_delete(request: Request, user: User) -> Response:
    form = await read_form(request)
    app = await _own_app(request, user)
    if app is None:
        return await not_found(request, "application")
    if not csrf_ok(request, form, _delete_purpose(app)):
        context = {"app": app, "users": 0, "purpose": _delete_purpose(app), "error": STALE_FORM}
        return await page(request, "portal/app_delete.html", "apps", context, status_code=403)
    async with services(request).db.transaction() as conn:
        await delete_app_of_owner(conn, app, actor=user, ip=client_ip(request))
    return see_other(LIST, "app-deleted")


routes = [
    Route("/portal/api/apps", app_list, methods=["GET"]),
    Route("/portal/api/apps", app_create, methods=["POST"]),
    Route("/portal/api/apps/new", app_new, methods=["GET"]),
    Route("/portal/api/apps/{id:int}", app_detail, methods=["GET"]),
    Route("/portal/api/apps/{id:int}", app_update, methods=["POST"]),
    Route("/portal/api/apps/{id:int}/secret", secret_confirm, methods=["GET"]),
    Route("/portal/api/apps/{id:int}/secret", secret_rotate, methods=["POST"]),
    Route("/portal/api/apps/{id:int}/delete", delete_confirm, methods=["GET"]),
    Route("/portal/api/apps/{id:int}/delete", app_delete, methods=["POST"]),
]
