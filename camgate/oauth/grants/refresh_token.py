"""The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

Each refresh consumes the presented refresh token and issues a new access token *and* a new
refresh token of the same scope (§6: "the refresh token scope MUST be identical"). The checks run
on the token as read; the old one is then rotated by one conditional UPDATE in the same atomic
write as its successors (``OAuthUnit.issue_tokens``), which happens only if the token and its grant
are still live. So a refused refresh writes nothing, and of several concurrent refreshes exactly
one succeeds; the others are judged again on the token as it now is. A rotated refresh token
presented again means two parties hold it: the whole grant is revoked.

Only clients that authenticate with their secret may refresh (the document: refresh tokens are the
"unlimited time access" that requires ``client_secret``).

**Grace period** (per app, ``refresh_grace_seconds``, 0 = off, at most 60). A client whose refresh
answer was lost on the network presents the same refresh token again; strict rotation would then
revoke its grant. With a grace period, the same client presenting the just-rotated token within
that many seconds gets the *same* successor pair back (RFC 9700 §4.14.2 leaves the trade-off to
the server). camgate stores no plaintext tokens, so for such apps the successors are not random:
they are derived with ``tokens.derive`` from the server's secret key and the presented refresh
token, and can be derived again on a retry. Only someone holding both the key and the old refresh
token could compute them, and the old token is already a credential for that grant. Outside the
window, or once the successor was itself used or revoked, reuse revokes the grant as before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from camgate.domain import AuditEntry, RefreshToken, TokenIssue, UnknownScopeError, format_scopes, parse_scope_list
from camgate.oauth.client_auth import AuthenticatedClient
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import InvalidGrantError, InvalidScopeError
from camgate.oauth.params import require
from camgate.oauth.storage import OAuthUnit
from camgate.tokens import TokenKind, derive, hash_token, kind_of

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


MAX_GRACE_SECONDS = 60


def grace_seconds(ctx: OAuthContext, client: AuthenticatedClient) -> int:
    """The app's grace period, or 0 when it is off (or no secret key reached the core)."""
    if not ctx.secret_key:
        return 0
    return max(0, min(client.app.refresh_grace_seconds, MAX_GRACE_SECONDS))


def derived_successors(ctx: OAuthContext, presented: str) -> tuple[str, str]:
    """The (access, refresh) pair that rotating ``presented`` yields when a grace period is on.

    ``tokens.derive`` is an HMAC under the secret key; the label carries the presented refresh
    token itself (not its stored hash), so a copy of the database plus the key is not enough.
    """
    return (
        derive(TokenKind.ACCESS, ctx.secret_key, f"refresh-grace|access|{presented}"),
        derive(TokenKind.REFRESH, ctx.secret_key, f"refresh-grace|refresh|{presented}"),
    )


async def replay_within_grace(
    ctx: OAuthContext, unit: OAuthUnit, client: AuthenticatedClient, old: RefreshToken | None, presented: str
) -> dict[str, Any] | None:
    """The successor pair again, if ``old`` was rotated by this client less than the app's grace
    period ago and its successor is still unused and live; None otherwise (then it is reuse)."""
    grace = grace_seconds(ctx, client)
    if (
        grace == 0
        or old is None
        or old.app_id != client.app.id
        or old.rotated_at is None
        or old.revoked_at is not None
        or old.grant_revoked
        or old.successor_id is None
        or ctx.now - old.rotated_at > timedelta(seconds=grace)
    ):
        return None
    access, refresh_value = derived_successors(ctx, presented)
    successor = await unit.find_refresh_token(hash_token(refresh_value))
    if (
        successor is None
        or successor.id != old.successor_id
        or successor.rotated_at is not None
        or successor.revoked_at is not None
    ):
        return None
    record = await unit.access_token_record(hash_token(access))
    if record is None or record.revoked or record.principal.grant_id != old.grant_id:
        return None
    if not record.principal.user.is_active:
        return None
    expires_at = record.principal.expires_at
    remaining = int((expires_at - ctx.now).total_seconds()) if expires_at is not None else 0
    if remaining <= 0:
        return None
    await unit.audit(
        provider_id=ctx.provider.id,
        action="refresh.grace",
        user_id=old.user_id,
        actor=client.app.client_id,
        ip=ctx.ip,
        detail={"client_id": client.app.client_id, "grant_id": old.grant_id},
    )
    return _answer(access, remaining, refresh_value, record.principal.scopes)


async def detect_reuse(
    ctx: OAuthContext, unit: OAuthUnit, client: AuthenticatedClient, old: RefreshToken | None
) -> None:
    """A refresh token that exists but was already rotated: revoke its grant (RFC 9700 §4.14.2)."""
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
        found = await unit.refresh_token_with_user(token_hash)
        previous = found.token if found is not None else None
        if found is not None and found.token.rotated_at is None and found.token.revoked_at is None:
            old, user = found.token, found.user
            # Checked before anything is written: another client (or a typo in scope) cannot burn
            # the rightful holder's refresh token.
            check_refresh_binding(ctx, old, client)
            scopes = requested_scope(params, old.scopes)
            if old.grant_revoked:
                raise InvalidGrantError(_BAD_TOKEN, log_detail="grant revoked")
            if user is None or not user.is_active:
                raise InvalidGrantError(_BAD_TOKEN, log_detail="user gone or disabled")
            # The rotation checks again, atomically, that the token and its grant are still live.
            body = await _rotate(ctx, unit, client, old, scopes, value)
            if body is not None:
                return body
            # A concurrent refresh or revocation came first: judge the token as it is now.
            previous = await unit.find_refresh_token(token_hash)
        # Unknown, revoked or already rotated: the reuse revocation must be committed, so the
        # error is raised after the unit ends.
        again = await replay_within_grace(ctx, unit, client, previous, value)
        if again is not None:
            return again
        await detect_reuse(ctx, unit, client, previous)
    raise InvalidGrantError(_BAD_TOKEN, log_detail="unknown, rotated or revoked refresh token")


def _answer(access: str, expires_in: int, refresh_value: str, scopes: frozenset[str]) -> dict[str, Any]:
    return {
        "access_token": access,
        "expires_in": expires_in,
        "refresh_token": refresh_value,
        "token_type": "Bearer",
        "scope": format_scopes(scopes),
    }


async def _rotate(
    ctx: OAuthContext,
    unit: OAuthUnit,
    client: AuthenticatedClient,
    old: RefreshToken,
    scopes: frozenset[str],
    presented: str,
) -> dict[str, Any] | None:
    """Rotate ``old`` and issue its successors; None (nothing written) if it is no longer live."""
    if grace_seconds(ctx, client):
        # Derived, not random, so that a retry within the grace period can be answered the same.
        derived_access, derived_refresh = derived_successors(ctx, presented)
        access, access_record = ctx.record(derived_access, ctx.lifetimes.access_token)
        new_refresh, refresh_record = ctx.record(derived_refresh, ctx.lifetimes.refresh_token)
    else:
        access, access_record = ctx.new_token(TokenKind.ACCESS, ctx.lifetimes.access_token)
        new_refresh, refresh_record = ctx.new_token(TokenKind.REFRESH, ctx.lifetimes.refresh_token)
    grant_id = await unit.issue_tokens(
        TokenIssue(
            provider_id=ctx.provider.id,
            user_id=old.user_id,
            app_id=client.app.id,
            now=ctx.now,
            access=access_record,
            access_scopes=scopes,
            refresh=refresh_record,
            # §6: the new refresh token keeps the grant's scope even if this access token is narrower.
            refresh_scopes=old.scopes,
            grant_id=old.grant_id,
            rotated_refresh_id=old.id,
            audit=AuditEntry(
                action="token.refresh",
                provider_id=ctx.provider.id,
                user_id=old.user_id,
                actor=client.app.client_id,
                ip=ctx.ip,
                detail={
                    "client_id": client.app.client_id,
                    "grant_id": old.grant_id,
                    "access_token": access_record.display_prefix,
                },
            ),
        )
    )
    if grant_id is None:
        return None
    return _answer(access, ctx.lifetimes.access_token, new_refresh, scopes)
