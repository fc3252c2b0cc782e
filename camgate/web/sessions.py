"""Login sessions and CSRF tokens.

The session cookie holds 256 random bits; the database keeps only their SHA-256, the user and a
per-session CSRF secret. A new id is issued at every login (no session fixation), the cookie is
HttpOnly and SameSite=Lax, and Secure whenever the request came over https.

CSRF tokens are HMACs bound to the session (or, before login, to a random pre-session cookie) and
to a purpose string — the consent form's purpose includes the whole authorization request, so a
token minted for one app's consent cannot approve another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from camgate.domain import User
from camgate.store import accounts
from camgate.store import sessions as session_store
from camgate.store.sessions import SessionRecord
from camgate.tokens import hash_token
from camgate.web.services import current_provider, services

SESSION_COOKIE = "cg_session"
PRE_SESSION_COOKIE = "cg_pre"


class CSRFError(Exception):
    """The form's CSRF token is missing, stale or for another form."""


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


async def current_session(request: Request) -> tuple[SessionRecord, User] | None:
    """The request's live session and its user, at this provider; None when not logged in."""
    if "camgate.session" in request.scope:
        return request.scope["camgate.session"]
    found: tuple[SessionRecord, User] | None = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw and len(raw) <= 100:
        provider = await current_provider(request)
        async with services(request).db.read() as conn:
            record = await session_store.session_by_hash(conn, hash_token(raw), datetime.now(UTC))
            if record is not None and record.provider_id == provider.id:
                user = await accounts.user_by_id(conn, record.user_id)
                if user is not None and user.is_active:
                    found = (record, user)
    request.scope["camgate.session"] = found
    return found


async def start_session(request: Request, response: Response, user: User) -> None:
    """Log ``user`` in: drop any previous session of this browser, issue a fresh id."""
    svc = services(request)
    now = datetime.now(UTC)
    value = secrets.token_urlsafe(32)
    async with svc.db.transaction() as conn:
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await session_store.delete_session(conn, hash_token(old))
        await session_store.add_session(
            conn,
            id_hash=hash_token(value),
            user_id=user.id,
            csrf_secret=secrets.token_hex(32),
            now=now,
            expires_at=now + timedelta(seconds=svc.settings.session_ttl),
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent"),
        )
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=svc.settings.session_ttl,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )


async def end_session(request: Request, response: Response) -> None:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        async with services(request).db.transaction() as conn:
            await session_store.delete_session(conn, hash_token(raw))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


def _binding(request: Request) -> bytes | None:
    session = request.scope.get("camgate.session")
    if session:
        return session[0].csrf_secret.encode()
    pre = request.cookies.get(PRE_SESSION_COOKIE) or request.scope.get("camgate.pre_session")
    if pre:
        return hmac.new(services(request).secret_key, b"pre|" + pre.encode(), hashlib.sha256).digest()
    return None


def ensure_pre_session(request: Request, response: Response) -> None:
    """Give a browser without a session a random cookie that its login form's CSRF token binds to."""
    if request.cookies.get(PRE_SESSION_COOKIE):
        return
    value = request.scope.get("camgate.pre_session") or secrets.token_urlsafe(24)
    request.scope["camgate.pre_session"] = value
    response.set_cookie(PRE_SESSION_COOKIE, value, httponly=True, samesite="lax", secure=_secure(request), path="/")


def csrf_token(request: Request, purpose: str) -> str:
    """The token to embed in a form for ``purpose``; call ``current_session`` (or
    ``ensure_pre_session``) first so it is bound to the right secret."""
    key = _binding(request)
    if key is None:
        request.scope["camgate.pre_session"] = request.scope.get("camgate.pre_session") or secrets.token_urlsafe(24)
        key = _binding(request)
    assert key is not None
    mac = hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def check_csrf(request: Request, submitted: str | None, purpose: str) -> None:
    if not submitted or _binding(request) is None:
        raise CSRFError
    if not hmac.compare_digest(csrf_token(request, purpose), submitted):
        raise CSRFError
