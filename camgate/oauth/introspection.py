"""Token introspection (RFC 7662) for the platform's other resource servers.

The caller authenticates as a client of the same provider (§2.1: "the endpoint MUST also require
some form of authorization"). Anything that is not a live token of this provider — malformed,
unknown, expired, revoked, another provider's — is just ``{"active": false}`` (§2.2), so the
answer never says why.
"""

from __future__ import annotations

from typing import Any

from camgate.domain import format_scopes
from camgate.oauth.bearer import check_record, lookup
from camgate.oauth.client_auth import authenticate_client, client_credentials
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import InvalidTokenError
from camgate.oauth.params import require

INACTIVE = {"active": False}


async def introspect(ctx: OAuthContext, params: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
    creds = client_credentials(params, basic)
    await authenticate_client(ctx, creds, require_secret=True)
    token = require(params, "token")
    try:
        principal = check_record(await lookup(ctx.storage, token), provider_id=ctx.provider.id, now=ctx.now)
    except InvalidTokenError:
        return INACTIVE
    answer: dict[str, Any] = {
        "active": True,
        # A guest that lost a right since the token was issued no longer passes it on.
        "scope": format_scopes(principal.scopes & principal.user.effective_rights),
        "client_id": principal.client_id,
        "username": principal.user.email,
        "token_type": "Bearer",
        "iat": int(principal.issued_at.timestamp()),
        "sub": str(principal.user.id),
        "iss": ctx.issuer,
        "camgate_token_kind": principal.kind,
    }
    if principal.expires_at is not None:
        answer["exp"] = int(principal.expires_at.timestamp())
    return {k: v for k, v in answer.items() if v is not None}
