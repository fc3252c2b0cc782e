"""The login brute-force policy (the README's "Security" section says it in words).

* Per account (provider + normalised email, known or not, so the answer never tells which emails
  exist): ``login_max_failures`` failures in ``throttle_window_seconds`` lock the account for
  ``login_lock_seconds``; each further lock doubles, up to ``login_lock_max_seconds``.
* Per client address: ``ip_max_failures`` failures in the window lock the address.
* A locked account does not lock out its owner: a browser that has logged in to the account before
  carries a signed "known device" cookie, and the account lock does not apply to it (the address
  lock still does). An attacker elsewhere can slow guessing down but cannot keep the owner out.
"""

from __future__ import annotations

import hashlib
import hmac
from contextvars import ContextVar

from starlette.requests import Request
from starlette.responses import Response

from camgate.oauth.throttle import Throttle
from camgate.store.accounts import normalize_email
from camgate.store.throttle import DbThrottle, Limit
from camgate.web.services import Services

DEVICE_COOKIE = "cg_device"


class LoginThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after
        self.message = f"Too many failed attempts. Try again in {retry_after} seconds."


def limits(svc: Services, key: str) -> Limit:
    s = svc.settings
    if key.startswith("ip:"):
        return Limit(s.ip_max_failures, s.throttle_window_seconds, s.throttle_window_seconds, s.throttle_window_seconds)
    if key.startswith("client:"):
        return Limit(s.client_max_failures, s.login_lock_seconds, s.login_lock_max_seconds, s.throttle_window_seconds)
    return Limit(s.login_max_failures, s.login_lock_seconds, s.login_lock_max_seconds, s.throttle_window_seconds)


def build_throttle(svc: Services) -> Throttle:
    """Counters in Redis when ``CAMGATE_REDIS_URL`` is set, else in the database: either way one
    set of counters shared by every worker process and machine."""
    if svc.settings.redis_url:
        from camgate.store.throttle_redis import RedisThrottle

        return RedisThrottle(svc.settings.redis_url, lambda key: limits(svc, key))
    return DbThrottle(svc.db, lambda key: limits(svc, key))


def _account_key(provider_id: int, email: str) -> str:
    return f"login:{provider_id}:{normalize_email(email)}"


def _device_mac(svc: Services, provider_id: int, email: str) -> str:
    msg = f"device|{provider_id}|{normalize_email(email)}".encode()
    return hmac.new(svc.secret_key, msg, hashlib.sha256).hexdigest()


def known_device(svc: Services, request: Request, provider_id: int, email: str) -> bool:
    cookie = request.cookies.get(DEVICE_COOKIE, "")
    expected = _device_mac(svc, provider_id, email)
    return any(hmac.compare_digest(part, expected) for part in cookie.split(".")[:5] if part)


def remember_device(svc: Services, request: Request, response: Response, provider_id: int, email: str) -> None:
    mac = _device_mac(svc, provider_id, email)
    kept = [p for p in request.cookies.get(DEVICE_COOKIE, "").split(".") if p and p != mac][:4]
    response.set_cookie(
        DEVICE_COOKIE,
        ".".join([mac, *kept]),
        max_age=180 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/login",
    )


# The account key whose attempt this request already counted (``reserve``), so ``login_failed``
# does not count it twice. A ContextVar is per request: each request runs in its own task.
_reserved: ContextVar[str | None] = ContextVar("camgate_login_reserved", default=None)


async def login_allowed(svc: Services, provider_id: int, email: str, ip: str | None, request: Request) -> None:
    """Raise ``LoginThrottled`` if the address or the account is locked.

    The account's attempt is counted here, before the password is checked (``reserve``), so that
    concurrent guesses cannot all slip past the lock check before any is counted; a success
    clears it. A known device skips the account lock, so its attempt is counted only if it fails.
    """
    _reserved.set(None)
    throttle = svc.throttle
    if throttle is None:
        return
    if ip:
        wait = await throttle.retry_after(f"ip:{ip}")
        if wait:
            raise LoginThrottled(wait)
    if not known_device(svc, request, provider_id, email):
        key = _account_key(provider_id, email)
        reserve = getattr(throttle, "reserve", None)
        wait = await reserve(key) if reserve is not None else await throttle.retry_after(key)
        if wait:
            raise LoginThrottled(wait)
        if reserve is not None:
            _reserved.set(key)


async def login_failed(svc: Services, provider_id: int, email: str, ip: str | None) -> None:
    if svc.throttle is None:
        return
    key = _account_key(provider_id, email)
    if _reserved.get() != key:
        await svc.throttle.failure(key)
    if ip:
        await svc.throttle.failure(f"ip:{ip}")


async def login_succeeded(svc: Services, provider_id: int, email: str, ip: str | None) -> None:
    if svc.throttle is not None:
        await svc.throttle.success(_account_key(provider_id, email))
