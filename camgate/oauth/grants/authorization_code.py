"""The authorization code grant's token request (RFC 6749 §4.1.3–§4.1.4), with RFC 7636 PKCE.

The document's two answers: a client that authenticates with its secret gets an access token and
a refresh token ("unlimited time access"); a client that sends no secret gets an access token only
("one-time access … canceled when the access token expires"). A *wrong* secret is never the second
case: it is ``invalid_client`` (see ``client_auth``).

Codes are single-use: the checks run on the code as read, then ``issue_tokens`` marks it used by
one conditional UPDATE in the same atomic write that stores the grant and its tokens. Of several
concurrent exchanges exactly one writes; the others find the code used, with its grant already
stored, and revoke it as a replay. A code that fails a check is spent all the same.
A code presented again is ``invalid_grant`` and revokes every token it issued (RFC 6749 §4.1.2:
"If an authorization code is used more than once, the authorization server MUST deny the request
and SHOULD revoke (when possible) all tokens previously issued based on that authorization code").
"""

from __future__ import annotations

from typing import Any

from camgate.domain import AuditEntry, AuthorizationCode, NewGrant, TokenIssue, User, format_scopes
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
        found = await unit.code_with_user(code_hash)
        if found is None or found.code.used_at is not None:
            await revoke_replayed_code(ctx, unit, code_hash)
            failure = InvalidGrantError(_BAD_CODE, log_detail="unknown or used code")
        else:
            code, user = found.code, found.user
            try:
                check_code_binding(ctx, code, client, params)
                if user is None or not user.is_active or user.provider_id != ctx.provider.id:
                    raise InvalidGrantError(_BAD_CODE, log_detail="user gone or disabled")
            except OAuthError as exc:
                # A code that failed once is spent (committed below, whatever the reason). If a
                # concurrent exchange spent it since it was read, this was a second use: a replay.
                if await unit.consume_code(code_hash, ctx.now) is None:
                    await revoke_replayed_code(ctx, unit, code_hash)
                failure = exc
            if failure is None and user is not None:
                body = await _issue(ctx, unit, client, code, user)
                if body is not None:
                    return body
                # Used meanwhile by a concurrent exchange, whose tokens are stored by now: a replay.
                await revoke_replayed_code(ctx, unit, code_hash)
                failure = InvalidGrantError(_BAD_CODE, log_detail="code used concurrently")
    assert failure is not None
    raise failure


async def _issue(
    ctx: OAuthContext, unit: OAuthUnit, client: AuthenticatedClient, code: AuthorizationCode, user: User
) -> dict[str, Any] | None:
    """Consume the code and store its tokens, atomically; None (nothing written) if the code was
    used meanwhile."""
    # A guest's rights may have shrunk since consent: never issue more than it holds now.
    scopes = code.scopes & user.effective_rights
    access, access_record = ctx.new_token(TokenKind.ACCESS, ctx.lifetimes.access_token)
    body: dict[str, Any] = {"access_token": access, "expires_in": ctx.lifetimes.access_token}
    refresh_record = None
    # Only a client that authenticated with its secret gets the "unlimited time access".
    if client.authenticated:
        refresh, refresh_record = ctx.new_token(TokenKind.REFRESH, ctx.lifetimes.refresh_token)
        body["refresh_token"] = refresh
    body["token_type"] = "Bearer"
    body["scope"] = format_scopes(scopes)
    grant_id = await unit.issue_tokens(
        TokenIssue(
            provider_id=ctx.provider.id,
            user_id=user.id,
            app_id=client.app.id,
            now=ctx.now,
            access=access_record,
            access_scopes=scopes,
            refresh=refresh_record,
            refresh_scopes=scopes,
            new_grant=NewGrant(scopes=scopes, code_id=code.id),
            audit=AuditEntry(
                action="token.issue",
                provider_id=ctx.provider.id,
                user_id=user.id,
                organization_id=user.organization_id,
                actor=client.app.client_id,
                ip=ctx.ip,
                detail={
                    "client_id": client.app.client_id,
                    "grant_id": None,  # the new grant's id, filled in by issue_tokens
                    "access_token": access_record.display_prefix,
                    "refresh": client.authenticated,
                },
            ),
        )
    )
    return body if grant_id is not None else None
