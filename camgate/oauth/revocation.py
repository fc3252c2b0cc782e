"""Token revocation: the document's ``/oauth2/revoke?access_token=…`` and RFC 7009.

Two forms:

* the document's: ``access_token=TOKEN``, no client credentials — holding the token is proof
  enough to give it up (an access token, its refresh token, or a personal API token);
* RFC 7009 §2.1: ``token`` (+ optional ``token_type_hint``) with client authentication; a token
  issued to another client is refused ("the authorization server … verifies whether the token was
  issued to the client making the revocation request. If this validation fails, the request is
  refused").

Revoking an access or a refresh token revokes its whole grant: every access and refresh token of
that authorization. Unknown, malformed or already-revoked tokens get the same success answer
(§2.2: "invalid tokens do not cause an error response since the client cannot handle such an
error in a reasonable way"), and so do tokens of another provider — camgate never confirms that a
token exists somewhere else.
"""

from __future__ import annotations

from typing import Any

from camgate.oauth.client_auth import authenticate_client, client_credentials
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import InvalidRequestError, UnauthorizedClientError
from camgate.tokens import TokenKind, hash_token, kind_of

SUCCESS = {"success": True, "message": "The token has been revoked."}
_TABLE_OF = {TokenKind.ACCESS: "access", TokenKind.REFRESH: "refresh", TokenKind.PERSONAL: "personal"}


async def revoke(
    ctx: OAuthContext, raw_access_token: str | None, params: dict[str, str], basic: tuple[str, str] | None
) -> dict[str, Any]:
    """``raw_access_token`` is the document's ``access_token`` parameter, if it was sent."""
    client_app_id: int | None = None
    if raw_access_token is not None:
        if "token" in params:
            raise InvalidRequestError("send either access_token or token, not both")
        value = raw_access_token
    else:
        value = params.get("token") or ""
        if not value:
            raise InvalidRequestError("the parameter 'token' (or 'access_token') is missing")
        # token_type_hint (§2.1) is only a lookup optimisation; the token's prefix says its kind.
        client = await authenticate_client(ctx, client_credentials(params, basic), require_secret=True)
        client_app_id = client.app.id
    kind = kind_of(value)
    if kind not in _TABLE_OF:
        return SUCCESS
    async with ctx.storage.unit() as unit:
        record = await unit.find_token(hash_token(value), _TABLE_OF[kind])
        if record is None or record.provider_id != ctx.provider.id:
            return SUCCESS
        if client_app_id is not None and record.app_id != client_app_id:
            raise UnauthorizedClientError("the token was not issued to this client")
        if record.grant_id is not None:
            await unit.revoke_grant(record.grant_id, ctx.now)
        else:
            await unit.revoke_personal_token(record.id, ctx.now)
        await unit.audit(
            provider_id=ctx.provider.id,
            action="token.revoke",
            user_id=record.user_id,
            ip=ctx.ip,
            detail={"kind": record.kind, "grant_id": record.grant_id, "via": "api"},
        )
    return SUCCESS
