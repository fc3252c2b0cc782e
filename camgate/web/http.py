"""Small HTTP helpers shared by the routes: bounded body reading, OAuth JSON answers, addresses."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse

from camgate.oauth.errors import InvalidRequestError, OAuthError
from camgate.oauth.params import MAX_BODY_BYTES, check_value, decode_form, merge_params


class BodyTooLargeError(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (without buffering) anything over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


async def oauth_params(request: Request) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The merged OAuth parameters of the query string and a form body (see ``oauth.params``),
    and the raw pairs (for the document's ``access_token`` at the revocation endpoint)."""
    query = decode_form(request.scope.get("query_string", b""))
    body_pairs: list[tuple[str, str]] = []
    if request.method == "POST":
        try:
            body = await read_body(request)
        except BodyTooLargeError:
            raise InvalidRequestError(f"the request body is larger than {MAX_BODY_BYTES} bytes") from None
        if body.strip():
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/x-www-form-urlencoded":
                raise InvalidRequestError("send parameters as application/x-www-form-urlencoded (RFC 6749 §4.1.3)")
            body_pairs = decode_form(body)
    pairs = query + body_pairs
    return merge_params(query, body_pairs), pairs


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """HTTP Basic client credentials (RFC 6749 §2.3.1: each part form-urlencoded first)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        user, sep, password = decoded.partition(":")
        client_id, secret = unquote_plus(user, errors="strict"), unquote_plus(password, errors="strict")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidRequestError("malformed HTTP Basic credentials") from None
    if not sep:
        raise InvalidRequestError("malformed HTTP Basic credentials")
    # The same limits as the parameters they stand for (oauth.params): no control characters (a
    # NUL would otherwise reach the database, which PostgreSQL refuses with an error) and no
    # oversized values.
    check_value("client_id", client_id)
    check_value("client_secret", secret)
    return client_id, secret


def oauth_error_response(exc: OAuthError, extra_headers: dict[str, str] | None = None) -> JSONResponse:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **exc.headers, **(extra_headers or {})}
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)


def json_no_store(body: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def client_ip(request: Request) -> str | None:
    """The client's address (uvicorn has already applied X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else None
