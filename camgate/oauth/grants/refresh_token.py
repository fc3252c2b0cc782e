"""The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

Each refresh consumes the presented refresh token and issues a new access token *and* a new
refresh token of the same scope (§6: "the refresh token scope MUST be identical"). The old one is
rotated by one conditional UPDATE, so of several concurrent refreshes exactly one succeeds. A
rotated refresh token presented again means two parties hold it: the whole grant is revoked.

Only clients that authenticate with their secret may refresh (the document: refresh tokens are the
"unlimited time access" that requires ``client_secret``).
"""

from __future__ import annotations

from typing import Any

from camgate.domain import RefreshToken, UnknownScopeError, format_scopes, parse_scope_list
from camgate.oauth.client_auth import AuthenticatedClient
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import InvalidGrantError, InvalidScopeError
from camgate.oauth.params import require
from camgate.oauth.storage import OAuthUnit
from camgate.tokens import TokenKind, hash_token, kind_of

_BAD_TOKEN = "the refresh token is invalid, expired or revoked"


def requested_scope(params: dict[str, str], held: frozenset[str]) -> frozenset[str]:
    """§6: an optional narrower ``scope``; asking for more than the grant holds is invalid_scope."""
    raw = params.get("scope")
    if raw is None:
        return held
    try:
        asked = parse_scope_list(raw)
    except UnknownScopeError as exc:
        raise InvalidScopeError(f"unknown scope {exc.args[0]!r}") from None
    if not asked:
        return held
    if not asked <= held:
        raise InvalidScopeError("the requested scope exceeds the scope originally granted")
    return asked


async def detect_reuse(ctx: OAuthContext, unit: OAuthUnit, client: AuthenticatedClient, token_hash: str) -> None:
    """A refresh token that exists but was already rotated: revoke its grant (RFC 9700 §4.14.2)."""
    old = await unit.find_refresh_token(token_hash)
    if old is None or old.app_id != client.app.id or old.rotated_at is None or old.grant_revoked:
        return
    await unit.revoke_grant(old.grant_id, ctx.now)
    await unit.audit(
        provider_id=ctx.provider.id,
        action="refresh.reuse",
        user_id=old.user_id,
        actor=client.app.client_id,
        ip=ctx.ip,
        detail={"client_id": client.app.client_id, "grant_id": old.grant_id, "revoked": True},
    )


def check_refresh_binding(ctx: OAuthContext, token: RefreshToken, client: AuthenticatedClient) -> None:
    if token.app_id != client.app.id:
        raise InvalidGrantError(_BAD_TOKEN, log_detail="refresh token of another client")
    if token.expires_at <= ctx.now:
        raise InvalidGrantError(_BAD_TOKEN, log_detail="refresh token expired")


async def refresh(ctx: OAuthContext, client: AuthenticatedClient, params: dict[str, str]) -> dict[str, Any]:
    value = require(params, "refresh_token")
    if kind_of(value) is not TokenKind.REFRESH:
        raise InvalidGrantError(_BAD_TOKEN, log_detail="malformed refresh token")
    token_hash = hash_token(value)
    async with ctx.storage.unit() as unit:
        old = await unit.rotate_refresh_token(token_hash, ctx.now)
        if old is not None:
            # Any failure from here raises inside the unit: the rotation is rolled back, so another
            # client (or a typo in scope) cannot burn the rightful holder's refresh token.
            check_refresh_binding(ctx, old, client)
            scopes = requested_scope(params, old.scopes)
            if not await unit.touch_live_grant(old.grant_id, ctx.now):
                raise InvalidGrantError(_BAD_TOKEN, log_detail="grant revoked")
            user = await unit.user_by_id(old.user_id)
            if user is None or not user.is_active:
                raise InvalidGrantError(_BAD_TOKEN, log_detail="user gone or disabled")
            return await _rotate(ctx, unit, client, old, scopes)
        # Unknown, revoked or already rotated: the reuse revocation must be committed, so the
        # error is raised after the unit ends.
        await detect_reuse(ctx, unit, client, token_hash)
    raise InvalidGrantError(_BAD_TOKEN, log_detail="unknown, rotated or revoked refresh token")


async def _rotate(
    ctx: OAuthContext, unit: OAuthUnit, client: AuthenticatedClient, old: RefreshToken, scopes: frozenset[str]
) -> dict[str, Any]:
    ids = {"provider_id": ctx.provider.id, "user_id": old.user_id, "app_id": client.app.id, "grant_id": old.grant_id}
    access, access_record = ctx.new_token(TokenKind.ACCESS, ctx.lifetimes.access_token)
    await unit.insert_access_token(access_record, scopes=scopes, now=ctx.now, **ids)
    new_refresh, refresh_record = ctx.new_token(TokenKind.REFRESH, ctx.lifetimes.refresh_token)
    successor_id = await unit.insert_refresh_token(refresh_record, scopes=old.scopes, now=ctx.now, **ids)
    await unit.set_successor(old.id, successor_id)
    await unit.audit(
        provider_id=ctx.provider.id,
        action="token.refresh",
        user_id=old.user_id,
        actor=client.app.client_id,
        ip=ctx.ip,
        detail={
            "client_id": client.app.client_id,
            "grant_id": old.grant_id,
            "access_token": access_record.display_prefix,
        },
    )
    return {
        "access_token": access,
        "expires_in": ctx.lifetimes.access_token,
        "refresh_token": new_refresh,
        "token_type": "Bearer",
        "scope": format_scopes(scopes),
    }
