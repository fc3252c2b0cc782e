"""The OAuth2 endpoints: translate HTTP to ``camgate.oauth`` calls and their results back.

/oauth2/auth (GET, POST, with or without a trailing slash), /oauth2/consent (the dialog's form),
/oauth2/token, /oauth2/revoke, /oauth2/introspect, /.well-known/oauth-authorization-server.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from camgate.domain import format_scopes
from camgate.oauth import authorize, introspection, metadata, revocation
from camgate.oauth.authorize import AuthorizationRequest, RedirectError, UntrustedRedirectError
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import InvalidRequestError, OAuthError
from camgate.oauth.token_endpoint import TOKEN_HEADERS, token_request
from camgate.web.http import basic_credentials, json_no_store, oauth_error_response, oauth_params
from camgate.web.services import oauth_context
from camgate.web.sessions import CSRFError, check_csrf, csrf_token, current_session
from camgate.web.templating import render

log = logging.getLogger("camgate.oauth")


def _redirect(request: Request, location: str) -> RedirectResponse:
    # RFC 9700 §4.12: after a POST, answer 303 so the browser does not re-POST the form (a 307
    # would replay the user's credentials or consent to the client).
    return RedirectResponse(location, status_code=303 if request.method == "POST" else 302)


async def _error_page(request: Request, message: str, status_code: int = 400) -> Response:
    return await render(
        request, "error.html", {"title": "Authorization request refused", "message": message}, status_code=status_code
    )


def consent_purpose(auth: AuthorizationRequest) -> str:
    """The CSRF purpose of a consent form: bound to this exact authorization request."""
    return "consent|" + urlencode(sorted(auth.as_params().items()))


async def read_authorization_request(
    request: Request, ctx: OAuthContext
) -> tuple[AuthorizationRequest, list[tuple[str, str]]] | Response:
    """The checked authorization request and the raw pairs, or the answer that ends it here: an
    error page when the client or redirect URI cannot be trusted, else a redirect with the error."""
    try:
        params, pairs = await oauth_params(request)
        return await authorize.validate_authorization_request(ctx, params), pairs
    except UntrustedRedirectError as exc:
        return await _error_page(request, exc.message)
    except RedirectError as exc:
        return _redirect(request, exc.location(ctx.issuer))
    except InvalidRequestError as exc:
        # Malformed before the client could be trusted (duplicates, bad encoding): no redirect.
        return await _error_page(request, exc.description)


def _to_login(request: Request, auth: AuthorizationRequest) -> Response:
    """Not logged in: the provider's login screen, then back to the same request."""
    back = "/oauth2/auth?" + urlencode(auth.as_params())
    return _redirect(request, "/login?" + urlencode({"next": back}))


async def authorization_endpoint(request: Request) -> Response:
    ctx = await oauth_context(request)
    read = await read_authorization_request(request, ctx)
    if isinstance(read, Response):
        return read
    auth, _pairs = read
    session = await current_session(request)
    if session is None:
        return _to_login(request, auth)
    user = session[1]
    granted, withheld = authorize.grantable_scopes(user, auth.scopes)
    context = {
        "app": auth.app,
        "granted": format_scopes(granted).split(),
        "withheld": format_scopes(withheld).split(),
        "params": auth.as_params(),
        "csrf": csrf_token(request, consent_purpose(auth)),
        "redirect_host": urlsplit(auth.redirect_uri).netloc or auth.redirect_uri.split(":", 1)[0] + ":",
    }
    return await render(request, "consent.html", context)


async def consent_endpoint(request: Request) -> Response:
    ctx = await oauth_context(request)
    session = await current_session(request)
    read = await read_authorization_request(request, ctx)
    if isinstance(read, Response):
        return read
    auth, pairs = read
    if session is None:
        return _to_login(request, auth)
    form = dict(pairs)
    try:
        check_csrf(request, form.get("csrf_token"), consent_purpose(auth))
    except CSRFError:
        return await _error_page(
            request, "This consent form has expired or was not sent by this page. Please start again.", 403
        )
    user = session[1]
    try:
        if form.get("decision") == "allow":
            location = await authorize.approve(ctx, auth, user)
        else:
            location = await authorize.deny(ctx, auth, user)
    except RedirectError as exc:
        return _redirect(request, exc.location(ctx.issuer))
    return _redirect(request, location)


async def token_endpoint(request: Request) -> Response:
    ctx = await oauth_context(request)
    try:
        params, _pairs = await oauth_params(request)
        body = await token_request(ctx, params, basic_credentials(request))
    except OAuthError as exc:
        if exc.log_detail:
            log.info("token request refused: %s (%s)", exc.error, exc.log_detail)
        return oauth_error_response(exc)
    return JSONResponse(body, headers=TOKEN_HEADERS)


async def revocation_endpoint(request: Request) -> Response:
    ctx = await oauth_context(request)
    try:
        params, pairs = await oauth_params(request)
        raw = [v for k, v in pairs if k == "access_token"]
        if len(raw) > 1:
            raise InvalidRequestError("the parameter 'access_token' is given more than once")
        body = await revocation.revoke(ctx, raw[0] if raw else None, params, basic_credentials(request))
    except OAuthError as exc:
        return oauth_error_response(exc)
    return json_no_store(body)


async def introspection_endpoint(request: Request) -> Response:
    ctx = await oauth_context(request)
    try:
        params, _pairs = await oauth_params(request)
        body = await introspection.introspect(ctx, params, basic_credentials(request))
    except OAuthError as exc:
        return oauth_error_response(exc)
    return json_no_store(body)


async def metadata_endpoint(request: Request) -> Response:
    ctx = await oauth_context(request)
    return JSONResponse(metadata.server_metadata(ctx.issuer), headers={"Cache-Control": "public, max-age=300"})


routes = [
    Route("/oauth2/auth", authorization_endpoint, methods=["GET", "POST"]),
    Route("/oauth2/auth/", authorization_endpoint, methods=["GET", "POST"]),
    Route("/oauth2/consent", consent_endpoint, methods=["POST"]),
    Route("/oauth2/token", token_endpoint, methods=["POST"]),
    Route("/oauth2/token/", token_endpoint, methods=["POST"]),
    Route("/oauth2/revoke", revocation_endpoint, methods=["POST"]),
    Route("/oauth2/revoke/", revocation_endpoint, methods=["POST"]),
    Route("/oauth2/introspect", introspection_endpoint, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", metadata_endpoint, methods=["GET"]),
]
