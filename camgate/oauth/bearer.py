"""Bearer token validation (RFC 6750), shared by the GraphQL API and introspection.

The order is chosen so that noise is cheap: a malformed token or a bad checksum is refused before
any database round-trip; a well-formed one costs one indexed lookup by its SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from camgate.domain import BearerRecord, TokenPrincipal
from camgate.oauth.errors import InvalidTokenError
from camgate.oauth.storage import OAuthStorage
from camgate.tokens import TokenKind, hash_token, kind_of

_INVALID = "the access token is invalid, expired or revoked"


def parse_authorization_header(header: str | None) -> str:
    """RFC 6750 §2.1: ``Authorization: Bearer <b64token>`` (the scheme is case-insensitive)."""
    if not header:
        raise InvalidTokenError("no access token: send Authorization: Bearer <token>")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        raise InvalidTokenError("the Authorization header must be: Bearer <token>")
    return value


def check_record(record: BearerRecord | None, *, provider_id: int, now: datetime) -> TokenPrincipal:
    """The rules a stored token must pass: same provider, not revoked, not expired, user active.

    The principal keeps the token's own scopes; what the user holds *now* is checked beside them
    (the API says which of the two is lacking, and introspection reports their intersection).
    """
    if record is None or record.revoked:
        raise InvalidTokenError(_INVALID)
    principal = record.principal
    if principal.provider_id != provider_id:
        raise InvalidTokenError(_INVALID, log_detail="token of another provider")
    if principal.expires_at is not None and principal.expires_at <= now:
        raise InvalidTokenError(_INVALID, log_detail="expired")
    if not principal.user.is_active:
        raise InvalidTokenError(_INVALID, log_detail="user disabled")
    return principal


async def lookup(storage: OAuthStorage, token: str) -> BearerRecord | None:
    """The stored record of an access or personal token; None for anything else (no DB for noise)."""
    kind = kind_of(token)
    if kind is not TokenKind.ACCESS and kind is not TokenKind.PERSONAL:
        return None
    return await storage.find_bearer(kind, hash_token(token))


async def validate_bearer(storage: OAuthStorage, token: str, *, provider_id: int, now: datetime) -> TokenPrincipal:
    return check_record(await lookup(storage, token), provider_id=provider_id, now=now)
