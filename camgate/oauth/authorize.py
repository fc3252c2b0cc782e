"""The authorization endpoint (RFC 6749 §4.1.1–§4.1.2), split into one check per rule.

Two kinds of failure, as §4.1.2.1 requires:

* the client or the redirect URI cannot be trusted (unknown ``client_id``, a ``redirect_uri`` that
  is not registered exactly): ``UntrustedRedirectError`` — an error page, never a redirect, so
  camgate cannot be used as an open redirector (RFC 9700 §4.11);
* anything else (``unsupported_response_type``, ``invalid_scope``, bad PKCE, the user said no):
  ``RedirectError`` — sent back to the verified redirect URI with ``error``, ``state`` and ``iss``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from camgate.domain import DEFAULT_SCOPE, App, UnknownScopeError, User, format_scopes, parse_scope_list
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import (
    AccessDeniedError,
    InvalidRequestError,
    InvalidScopeError,
    OAuthError,
    UnsupportedResponseTypeError,
)
from camgate.oauth.pkce import check_challenge
from camgate.oauth.redirect_uris import match_redirect_uri
from camgate.tokens import TokenKind


class UntrustedRedirectError(Exception):
    """The request cannot be redirected anywhere: show ``message`` on an error page."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    app: App
    redirect_uri: str
    redirect_uri_given: bool
    scopes: frozenset[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None

    def as_params(self) -> dict[str, str]:
        """The request's parameters, to carry it through the login and consent forms."""
        params = {"response_type": "code", "client_id": self.app.client_id, "scope": format_scopes(self.scopes)}
        if self.redirect_uri_given:
            params["redirect_uri"] = self.redirect_uri
        if self.state is not None:
            params["state"] = self.state
        if self.code_challenge is not None:
            params["code_challenge"] = self.code_challenge
            params["code_challenge_method"] = self.code_challenge_method or "S256"
        return params


class RedirectError(Exception):
    """An error to report to the client at its (verified) redirect URI."""

    def __init__(self, error: OAuthError, redirect_uri: str, state: str | None) -> None:
        super().__init__(error.description)
        self.error = error
        self.redirect_uri = redirect_uri
        self.state = state

    def location(self, issuer: str) -> str:
        return with_query(
            self.redirect_uri,
            {
                "error": self.error.error,
                "error_description": self.error.description,
                "state": self.state,
                "iss": issuer,
            },
        )


def with_query(uri: str, values: dict[str, str | None]) -> str:
    """Add parameters to a redirect URI, keeping the query it was registered with (§3.1.2)."""
    extra = urlencode({k: v for k, v in values.items() if v is not None})
    return f"{uri}{'&' if '?' in uri else '?'}{extra}"


async def find_client(ctx: OAuthContext, client_id: str | None) -> App:
    if client_id is None:
        raise UntrustedRedirectError("The request has no client_id.")
    app = await ctx.storage.find_app(ctx.provider.id, client_id)
    if app is None:
        raise UntrustedRedirectError("This application is not known here (unknown client_id).")
    return app


def check_redirect_uri(app: App, redirect_uri: str | None) -> str:
    """RFC 6749 §3.1.2.3 and RFC 9700 §4.1.3: exact match; may be omitted only if one is registered."""
    if redirect_uri is None:
        if len(app.redirect_uris) == 1:
            return app.redirect_uris[0]
        raise UntrustedRedirectError("The request has no redirect_uri and the application registered several.")
    if not match_redirect_uri(redirect_uri, app.redirect_uris):
        raise UntrustedRedirectError("The redirect_uri is not one of the application's registered redirect URLs.")
    return redirect_uri


def check_response_type(response_type: str | None) -> None:
    if response_type is None:
        raise InvalidRequestError("the parameter 'response_type' is missing")
    if response_type != "code":
        raise UnsupportedResponseTypeError("only response_type=code is supported")


def check_scope(raw: str | None) -> frozenset[str]:
    """Comma- (the document) or space-separated (RFC 6749 §3.3); none asked for means ``read``."""
    try:
        scopes = parse_scope_list(raw) if raw is not None else frozenset({DEFAULT_SCOPE})
    except UnknownScopeError as exc:
        raise InvalidScopeError(f"unknown scope {exc.args[0]!r}") from None
    return scopes or frozenset({DEFAULT_SCOPE})


async def validate_authorization_request(ctx: OAuthContext, params: dict[str, str]) -> AuthorizationRequest:
    """Check an authorization request in the order §4.1.2.1 needs: client and redirect URI first."""
    app = await find_client(ctx, params.get("client_id"))
    redirect_uri = check_redirect_uri(app, params.get("redirect_uri"))
    state = params.get("state")
    try:
        check_response_type(params.get("response_type"))
        scopes = check_scope(params.get("scope"))
        challenge, method = check_challenge(
            params.get("code_challenge"), params.get("code_challenge_method"), required=app.require_pkce
        )
    except OAuthError as exc:
        raise RedirectError(exc, redirect_uri, state) from None
    return AuthorizationRequest(
        app=app,
        redirect_uri=redirect_uri,
        redirect_uri_given="redirect_uri" in params,
        scopes=scopes,
        state=state,
        code_challenge=challenge,
        code_challenge_method=method,
    )


def grantable_scopes(user: User, requested: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Split the requested rights into (granted, withheld): a guest gets at most its own rights."""
    held = user.effective_rights
    return requested & held, requested - held


async def approve(ctx: OAuthContext, request: AuthorizationRequest, user: User) -> str:
    """The user allowed the request: store a code and return where to send the browser (§4.1.2)."""
    granted, _withheld = grantable_scopes(user, request.scopes)
    if not granted:
        raise RedirectError(
            InvalidScopeError("this account holds none of the requested rights"), request.redirect_uri, request.state
        )
    code, issued = ctx.new_token(TokenKind.CODE, ctx.lifetimes.code)
    async with ctx.storage.unit() as unit:
        await unit.insert_code(
            code_hash=issued.token_hash,
            app_id=request.app.id,
            user_id=user.id,
            redirect_uri=request.redirect_uri,
            redirect_uri_given=request.redirect_uri_given,
            scopes=granted,
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            now=ctx.now,
            expires_at=ctx.now + timedelta(seconds=ctx.lifetimes.code),
        )
        await unit.audit(
            provider_id=ctx.provider.id,
            action="consent.allow",
            user_id=user.id,
            organization_id=user.organization_id,
            actor=user.email,
            ip=ctx.ip,
            detail={"client_id": request.app.client_id, "app": request.app.name, "scopes": sorted(granted)},
        )
    # RFC 9207 §2: iss lets the client detect a mix-up between authorization servers.
    return with_query(request.redirect_uri, {"code": code, "state": request.state, "iss": ctx.issuer})


async def deny(ctx: OAuthContext, request: AuthorizationRequest, user: User) -> str:
    """The user said no: ``error=access_denied`` with ``state`` (§4.1.2.1)."""
    async with ctx.storage.unit() as unit:
        await unit.audit(
            provider_id=ctx.provider.id,
            action="consent.deny",
            user_id=user.id,
            organization_id=user.organization_id,
            actor=user.email,
            ip=ctx.ip,
            detail={"client_id": request.app.client_id, "app": request.app.name},
        )
    error = AccessDeniedError("the user denied the request")
    return RedirectError(error, request.redirect_uri, request.state).location(ctx.issuer)
