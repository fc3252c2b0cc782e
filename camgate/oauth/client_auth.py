"""Client authentication at the token, revocation and introspection endpoints (RFC 6749 §2.3).

A client authenticates with ``client_secret_basic`` (HTTP Basic, RFC 6749 §2.3.1), or with
``client_secret`` as a parameter — in the form body (``client_secret_post``) or, as the camera
cloud's document shows, in the query string. Using both at once is refused (§2.3: "The client
MUST NOT use more than one authentication method in each request"). A client that sends no secret
is treated as a public client: it is identified by ``client_id`` but not authenticated, which the
grants then take into account (the document's "temporary access").

Secrets carry 256 random bits, so they are stored as SHA-256 and compared in constant time; a
password hash here would cost ~1000x per request and protect nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass

from camgate.domain import App
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import InvalidClientError, InvalidRequestError, TooManyAttemptsError
from camgate.tokens import matches_hash


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """What the web layer read from the request: Basic credentials, if any, and the parameters."""

    basic: tuple[str, str] | None
    client_id: str | None
    client_secret: str | None


@dataclass(frozen=True, slots=True)
class AuthenticatedClient:
    app: App
    authenticated: bool  # True only when a correct client_secret was presented


def client_credentials(params: dict[str, str], basic: tuple[str, str] | None) -> ClientCredentials:
    if basic is not None:
        if "client_secret" in params:
            raise InvalidRequestError("use either HTTP Basic or client_secret, not both")
        if "client_id" in params and params["client_id"] != basic[0]:
            raise InvalidRequestError("client_id does not match the HTTP Basic credentials")
        return ClientCredentials(basic, basic[0], basic[1])
    return ClientCredentials(None, params.get("client_id"), params.get("client_secret"))


def _invalid_client(creds: ClientCredentials, description: str) -> InvalidClientError:
    # RFC 6749 §5.2: a 401 answers a client that tried Authorization; name the scheme it used.
    headers = {"WWW-Authenticate": 'Basic realm="camgate"'} if creds.basic is not None else {}
    return InvalidClientError(description, headers=headers)


async def authenticate_client(
    ctx: OAuthContext, creds: ClientCredentials, *, require_secret: bool
) -> AuthenticatedClient:
    """Identify the client and, when it sent a secret, check it (after the brute-force lock).

    The app is looked up on its own (from the storage's invalidated cache when it has it), not
    inside the caller's unit: a request never holds one pooled connection while it waits for a
    second (under load, that exhausted the pool and every client-authenticated endpoint stalled
    until its timeout).
    """
    if creds.client_id is None:
        if require_secret:
            raise _invalid_client(creds, "client authentication is required")
        raise InvalidRequestError("the parameter 'client_id' is missing")
    app = await ctx.storage.find_app(ctx.provider.id, creds.client_id)
    if app is None:
        raise _invalid_client(creds, "client authentication failed")
    if creds.client_secret is None:
        if require_secret:
            raise _invalid_client(creds, "client authentication is required (client_secret)")
        return AuthenticatedClient(app, authenticated=False)
    if matches_hash(creds.client_secret, app.client_secret_hash):
        return AuthenticatedClient(app, authenticated=True)
    await throttle_wrong_secret(ctx, app)
    raise _invalid_client(creds, "client authentication failed")


async def throttle_wrong_secret(ctx: OAuthContext, app: App) -> None:
    """Count a wrong secret; once a client has too many, answer 429 without even comparing.

    Only *wrong* secrets are throttled: the right one always passes. Client secrets are 256 random
    bits minted by camgate, so online guessing cannot succeed and the throttle is there to shed
    the load of guessing (RFC 6819 §5.1.4.2.3). Locking the right secret out too would let anyone
    who knows a client_id (it is public, in every authorization URL) lock an integration out of
    its tokens; and the happy path costs no throttle lookup.
    """
    if ctx.throttle is None:
        return
    key = f"client:{app.id}"
    wait = await ctx.throttle.retry_after(key)
    if wait:
        raise TooManyAttemptsError(
            "too many failed client authentications; try again later", headers={"Retry-After": str(wait)}
        )
    await ctx.throttle.failure(key)
