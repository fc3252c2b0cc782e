"""The authorization code grant's token request (RFC 6749 §4.1.3–§4.1.4), with RFC 7636 PKCE.

The document's two answers: a client that authenticates with its secret gets an access token and
a refresh token ("unlimited time access"); a client that sends no secret gets an access token only
("one-time access … canceled when the access token expires"). A *wrong* secret is never the second
case: it is ``invalid_client`` (see ``client_auth``).

Codes are single-use: ``consume_code`` marks the code used in the same statement that reads it.
A code presented again is ``invalid_grant`` and revokes every token it issued (RFC 6749 §4.1.2:
"If an authorization code is used more than once, the authorization server MUST deny the request
and SHOULD revoke (when possible) all tokens previously issued based on that authorization code").
"""

from __future__ import annotations

from typing import Any

from camgate.domain import AuthorizationCode, User, format_scopes
from camgate.oauth.client_auth import AuthenticatedClient
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import InvalidGrantError, OAuthError
from camgate.oauth.params import require
from camgate.oauth.pkce import verify_code_verifier
from camgate.oauth.storage import OAuthUnit
from camgate.tokens import TokenKind, hash_token, kind_of

GRANT_TYPES = ("authorization_code", "auth_code")  # the second is the document's spelling

_BAD_CODE = "the authorization code is invalid, expired or already used"


def check_code_binding(
    ctx: OAuthContext, code: AuthorizationCode, client: AuthenticatedClient, params: dict[str, str]
) -> None:
    """RFC 6749 §4.1.3: the code was issued to this client, is not expired, and the redirect URI is
    the one it was issued for; RFC 7636 §4.6: the verifier matches the challenge."""
    if code.app_id != client.app.id:
        raise InvalidGrantError(_BAD_CODE, log_detail="code issued to another client")
    if code.expires_at <= ctx.now:
        raise InvalidGrantError(_BAD_CODE, log_detail="code expired")
    given = params.get("redirect_uri")
    if (code.redirect_uri_given or given is not None) and given != code.redirect_uri:
        raise InvalidGrantError("redirect_uri does not match the one of the authorization request")
    verify_code_verifier(code.code_challenge, params.get("code_verifier"))


async def revoke_replayed_code(ctx: OAuthContext, unit: OAuthUnit, code_hash: str) -> None:
    """A used code came back: revoke what it issued (RFC 6749 §4.1.2, RFC 9700 §4.5)."""
    code = await unit.find_code(code_hash)
    if code is None or code.used_at is None:
        return
    if code.grant_id is not None:
        await unit.revoke_grant(code.grant_id, ctx.now)
    await unit.audit(
        provider_id=ctx.provider.id,
        action="code.replay",
        user_id=code.user_id,
        ip=ctx.ip,
        detail={"grant_id": code.grant_id, "revoked": code.grant_id is not None},
    )


async def exchange_code(ctx: OAuthContext, client: AuthenticatedClient, params: dict[str, str]) -> dict[str, Any]:
    value = require(params, "code")
    if kind_of(value) is not TokenKind.CODE:
        raise InvalidGrantError(_BAD_CODE, log_detail="malformed code")
    code_hash = hash_token(value)
    failure: OAuthError | None = None
    async with ctx.storage.unit() as unit:
        code = await unit.consume_code(code_hash, ctx.now)
        if code is None:
            await revoke_replayed_code(ctx, unit, code_hash)
            failure = InvalidGrantError(_BAD_CODE, log_detail="unknown or used code")
        else:
            user: User | None = None
            try:
                check_code_binding(ctx, code, client, params)
                user = await unit.user_by_id(code.user_id)
                if user is None or not user.is_active or user.provider_id != ctx.provider.id:
                    raise InvalidGrantError(_BAD_CODE, log_detail="user gone or disabled")
            except OAuthError as exc:
                # The code stays consumed (committed below): a code that failed once is spent.
                failure = exc
            if failure is None and user is not None:
                return await _issue(ctx, unit, client, code, user)
    assert failure is not None
    raise failure


async def _issue(
    ctx: OAuthContext, unit: OAuthUnit, client: AuthenticatedClient, code: AuthorizationCode, user: User
) -> dict[str, Any]:
    # A guest's rights may have shrunk since consent: never issue more than it holds now.
    scopes = code.scopes & user.effective_rights
    grant_id = await unit.create_grant(
        user_id=user.id, app_id=client.app.id, scopes=scopes, now=ctx.now, code_id=code.id
    )
    ids = {"provider_id": ctx.provider.id, "user_id": user.id, "app_id": client.app.id, "grant_id": grant_id}
    access, access_record = ctx.new_token(TokenKind.ACCESS, ctx.lifetimes.access_token)
    await unit.insert_access_token(access_record, scopes=scopes, now=ctx.now, **ids)
    body: dict[str, Any] = {"access_token": access, "expires_in": ctx.lifetimes.access_token}
    if client.authenticated:
        refresh, refresh_record = ctx.new_token(TokenKind.REFRESH, ctx.lifetimes.refresh_token)
        await unit.insert_refresh_token(refresh_record, scopes=scopes, now=ctx.now, **ids)
        body["refresh_token"] = refresh
    body["token_type"] = "Bearer"
    body["scope"] = format_scopes(scopes)
    await unit.audit(
        provider_id=ctx.provider.id,
        action="token.issue",
        user_id=user.id,
        organization_id=user.organization_id,
        actor=client.app.client_id,
        ip=ctx.ip,
        detail={
            "client_id": client.app.client_id,
            "grant_id": grant_id,
            "access_token": access_record.display_prefix,
            "refresh": client.authenticated,
        },
    )
    return body
