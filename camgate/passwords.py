"""Password hashing with Argon2id (RFC 9106), via argon2-cffi.

Parameters are argon2-cffi's RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4), its default:
about 40-60 ms per hash on one core here. ``DUMMY_HASH`` lets a login for an unknown email spend the
same time as one for a known email, so the answer's timing does not reveal which emails exist.
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
DUMMY_HASH = _hasher.hash("camgate: no such user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# An Argon2 verification takes tens of milliseconds of CPU and 64 MiB: run it in a worker thread
# (argon2-cffi releases the GIL) so the event loop keeps serving token and API requests meanwhile,
# one at a time per process: each takes 64 MiB, and with p=4 one verification already keeps the
# cores busy (the bench measured the same 10 logins/s with two slots, and up to 222 MB per worker).
_VERIFY_SLOTS = 1
_limiter: anyio.CapacityLimiter | None = None


async def verify_password_off_loop(stored_hash: str, password: str) -> bool:
    global _limiter
    if _limiter is None:
        _limiter = anyio.CapacityLimiter(_VERIFY_SLOTS)
    return await anyio.to_thread.run_sync(verify_password, stored_hash, password, limiter=_limiter)
