"""The token endpoint (RFC 6749 §3.2): parse, authenticate the client, dispatch on grant_type."""

from __future__ import annotations

from typing import Any

from camgate.oauth.client_auth import authenticate_client, client_credentials
from camgate.oauth.context import OAuthContext
from camgate.oauth.errors import UnsupportedGrantTypeError
from camgate.oauth.grants import authorization_code, refresh_token
from camgate.oauth.params import require

# RFC 6749 §5.1: "The authorization server MUST include the HTTP "Cache-Control" response header
# field with a value of "no-store" in any response containing tokens".
TOKEN_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def token_request(ctx: OAuthContext, params: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
    """Answer a token request with the JSON body of §5.1, or raise an ``OAuthError`` (§5.2)."""
    grant_type = require(params, "grant_type")
    if grant_type not in (*authorization_code.GRANT_TYPES, "refresh_token"):
        raise UnsupportedGrantTypeError("grant_type must be authorization_code or refresh_token")
    creds = client_credentials(params, basic)
    is_refresh = grant_type == "refresh_token"
    client = await authenticate_client(ctx, creds, require_secret=is_refresh)
    if is_refresh:
        return await refresh_token.refresh(ctx, client, params)
    return await authorization_code.exchange_code(ctx, client, params)
