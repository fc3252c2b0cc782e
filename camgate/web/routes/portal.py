"""Routes of the portal's </> API section: the overview, authorized applications and activity.

Tokens, applications and guests live in ``portal_tokens``, ``portal_apps`` and ``portal_guests``;
their routes are gathered here into the one list ``camgate.app`` mounts.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from camgate.domain import Role, User
from camgate.management import revoke_app_for_user
from camgate.store import audit
from camgate.store import portal as portal_store
from camgate.store.portal import AuthorizedApp
from camgate.web.forms import read_form
from camgate.web.http import client_ip
from camgate.web.routes import portal_apps, portal_guests, portal_tokens
from camgate.web.routes.portal_common import (
    MAX_ID,
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

ACTIVITY_PAGE = 50
# Plain words for the audit trail's action codes; an unknown code is shown as it is.
ACTION_LABELS = {
    "app.create": "Registered an application",
    "app.update": "Changed an application",
    "app.rotate_secret": "Made a new client secret",
    "app.delete": "Deleted an application",
    "consent.allow": "Authorized an application",
    "consent.deny": "Refused an application",
    "grant.revoke": "Revoked an application's access",
    "guest.create": "Added a guest",
    "guest.update": "Changed a guest's rights or cameras",
    "user.disable": "Disabled an account",
    "login.success": "Logged in",
    "login.failure": "Failed to log in",
    "personal_token.create": "Created an API token",
    "personal_token.revoke": "Revoked an API token",
    "token.issue": "An application received a token",
    "token.refresh": "An application refreshed its token",
    "token.revoke": "A token was revoked",
    "code.replay": "An authorization code was replayed (its tokens were revoked)",
    "refresh.reuse": "A used refresh token was replayed (its tokens were revoked)",
    "refresh.grace": "A refresh token was retried within its grace period",
}
AUTHORIZED = "/portal/api/authorized"


@portal_page()
async def overview(request: Request, user: User) -> Response:
    return await page(request, "portal/index.html", "index")


@portal_page()
async def authorized_list(request: Request, user: User) -> Response:
    async with services(request).db.read() as conn:
        found = await portal_store.authorized_apps(conn, user.id)
    return await page(request, "portal/authorized.html", "authorized", {"apps": found, "done": done_message(request)})


async def _authorized(request: Request, user: User) -> AuthorizedApp | None:
    app_id = path_id(request)
    if app_id is None:
        return None
    async with services(request).db.read() as conn:
        found = await portal_store.authorized_apps(conn, user.id)
    return next((a for a in found if a.app_id == app_id), None)


def _revoke_purpose(app_id: int) -> str:
    return f"portal:access-revoke:{app_id}"


@portal_page()
async def authorized_revoke_confirm(request: Request, user: User) -> Response:
    found = await _authorized(request, user)
    if found is None:
        return await not_found(request, "authorized application")
    context = {"app": found, "purpose": _revoke_purpose(found.app_id)}
    return await page(request, "portal/authorized_revoke.html", "authorized", context)


@portal_page()
async def authorized_revoke(request: Request, user: User) -> Response:
    form = await read_form(request)
    found = await _authorized(request, user)
    if found is None:
        # Also what a second submit meets: the access is already gone.
        return await not_found(request, "authorized application")
    if not csrf_ok(request, form, _revoke_purpose(found.app_id)):
        context = {"app": found, "purpose": _revoke_purpose(found.app_id), "error": STALE_FORM}
        return await page(request, "portal/authorized_revoke.html", "authorized", context, status_code=403)
    async with services(request).db.transaction() as conn:
        await revoke_app_for_user(conn, user=user, app_id=found.app_id, ip=client_ip(request))
    return see_other(AUTHORIZED, "access-revoked")


@portal_page()
async def activity(request: Request, user: User) -> Response:
    """The audit trail: the organization's for an owner, the user's own for a guest; newest first."""
    raw = request.query_params.get("before", "")
    before = int(raw) if raw.isdigit() and 0 < int(raw) <= MAX_ID else None
    owner = user.role is Role.FULL
    async with services(request).db.read() as conn:
        events = await audit.events_page(
            conn,
            organization_id=user.organization_id if owner else None,
            user_id=None if owner else user.id,
            before_id=before,
            limit=ACTIVITY_PAGE + 1,
        )
    older = events[ACTIVITY_PAGE - 1].id if len(events) > ACTIVITY_PAGE else None
    context = {
        "events": events[:ACTIVITY_PAGE],
        "older": older,
        "paged": before is not None,
        "owner": owner,
        "labels": ACTION_LABELS,
    }
    return await page(request, "portal/activity.html", "activity", context)


routes: list[BaseRoute] = [
    Route("/portal/api", overview, methods=["GET"]),
    Route("/portal/api/", overview, methods=["GET"]),
    *portal_tokens.routes,
    *portal_apps.routes,
    *portal_guests.routes,
    Route("/portal/api/authorized", authorized_list, methods=["GET"]),
    Route("/portal/api/authorized/{id:int}/revoke", authorized_revoke_confirm, methods=["GET"]),
    Route("/portal/api/authorized/{id:int}/revoke", authorized_revoke, methods=["POST"]),
    Route("/portal/api/activity", activity, methods=["GET"]),
]
