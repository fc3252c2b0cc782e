"""``/api/graphql.php`` and ``/api/graphql``: GraphQL over HTTP, behind bearer authentication.

One request, in named steps:

1. ``refuse_token_in_url`` — a token in the query string is refused (RFC 6750 §2.3 is optional and
   RFC 9700 §4.3.2 says not to: URLs are logged and leak);
2. ``authenticate`` — ``Authorization: Bearer`` checked against the database on every request
   (revocation takes effect on the next request); 401 + ``WWW-Authenticate`` (RFC 6750 §3);
3. ``read_operation`` — GET (queries only) or POST with a JSON body of at most 64 KiB; a batch
   (JSON array) is refused; anything malformed is a 400 that says what is wrong;
4. execute with Strawberry (validation limits from ``api.limits``), then ``format_result``:
   ``{"data": …}`` alone when all went well, ``errors`` only when there are some, and the text of
   an unexpected exception never reaches the client.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLError
from graphql.error import GraphQLError as CoreGraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from camgate.api import limits
from camgate.api.context import ApiContext
from camgate.api.devices import BACKEND
from camgate.api.media import MediaSigner
from camgate.api.schema import schema
from camgate.api.usage import note_use
from camgate.domain import TokenPrincipal
from camgate.oauth.bearer import parse_authorization_header, validate_bearer
from camgate.oauth.errors import InvalidTokenError
from camgate.store.database import DatabaseUnavailableError
from camgate.web.http import BodyTooLargeError, read_body
from camgate.web.services import current_provider, issuer_of, services

log = logging.getLogger("camgate.api")
REALM = "camgate"
MASKED = "an unexpected error occurred"
JSON_TYPES = ("application/json", "application/graphql-response+json")


class RequestError(Exception):
    """A request the API cannot run: answered with ``status`` and a message saying why."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str = "BAD_REQUEST",
        headers: dict[str, str] | None = None,
        oauth_error: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.oauth_error = oauth_error


def error_response(exc: RequestError) -> JSONResponse:
    """A GraphQL-shaped error (``errors``) that OAuth-minded clients can read too (``error``)."""
    body: dict[str, Any] = {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
    if exc.oauth_error:
        body = {"error": exc.oauth_error, "error_description": exc.message, **body}
    return JSONResponse(body, status_code=exc.status, headers={"Cache-Control": "no-store", **exc.headers})


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'")


def _unauthorized(error: str | None, description: str) -> RequestError:
    """401 with RFC 6750 §3's challenge; no error code when no credentials were sent (§3.1)."""
    challenge = f'Bearer realm="{REALM}"'
    if error:
        challenge += f', error="{error}", error_description="{_quoted(description)}"'
    return RequestError(
        401,
        description,
        code="UNAUTHENTICATED",
        headers={"WWW-Authenticate": challenge},
        oauth_error=error or "invalid_token",
    )


def refuse_token_in_url(request: Request) -> None:
    # Parse the query string only when there is one (a POST almost never has one).
    if request.scope.get("query_string") and "access_token" in request.query_params:
        raise _unauthorized(
            "invalid_request",
            "tokens in the URL are not accepted; send the header Authorization: Bearer <token>",
        )


async def authenticate(request: Request, now: datetime) -> TokenPrincipal:
    header = request.headers.get("authorization")
    try:
        token = parse_authorization_header(header)
        provider = await current_provider(request)
        return await validate_bearer(services(request).storage, token, provider_id=provider.id, now=now)
    except InvalidTokenError as exc:
        if exc.log_detail:
            log.info("bearer token refused: %s", exc.log_detail)
        raise _unauthorized(None if not header else "invalid_token", exc.description) from None


def _operation_from(payload: object) -> tuple[str, dict[str, Any] | None, str | None]:
    if isinstance(payload, list):
        raise RequestError(400, "batched requests (a JSON array) are not supported: send one operation per request")
    if not isinstance(payload, dict):
        raise RequestError(400, 'the body must be a JSON object: {"query": "...", "variables": {...}}')
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, 'the request has no "query" (a string holding the GraphQL document)')
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, '"variables" must be a JSON object')
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, '"operationName" must be a string')
    return query, variables, operation_name


async def read_operation(request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
    """The query, variables and operation name of a GET (query string) or POST (JSON body)."""
    if request.method == "GET":
        params = request.query_params
        variables: object = None
        if params.get("variables"):
            try:
                variables = json.loads(params["variables"])
            except ValueError:
                raise RequestError(400, '"variables" is not valid JSON') from None
        return _operation_from(
            {"query": params.get("query"), "variables": variables, "operationName": params.get("operationName")}
        )
    try:
        body = await read_body(request, limits.MAX_BODY_BYTES)
    except BodyTooLargeError:
        raise RequestError(
            413, f"the request body is larger than {limits.MAX_BODY_BYTES} bytes", code="PAYLOAD_TOO_LARGE"
        ) from None
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/graphql":
        return _operation_from({"query": body.decode("utf-8", "replace")})
    # Other content types are still read as JSON: curl's -d sends form-urlencoded by default, and
    # authentication is a header a cross-site form cannot set, so there is no CSRF to fear here.
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RequestError(
            400, 'the body is not valid JSON; send {"query": "..."} with Content-Type: application/json'
        ) from None
    return _operation_from(payload)


def _error(error: GraphQLError) -> dict[str, Any]:
    original = error.original_error
    if original is not None and not isinstance(original, CoreGraphQLError):
        # Never the text of an unexpected exception (it is logged by ``ApiSchema.process_errors``).
        formatted: dict[str, Any] = {"message": MASKED, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
    else:
        formatted = {"message": error.message}
        if error.extensions:
            formatted["extensions"] = error.extensions
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        formatted["path"] = error.path
    return formatted


def format_result(result: ExecutionResult) -> tuple[dict[str, Any], int]:
    """The response body and status: 400 when nothing was executed (a syntax or validation error),
    else 200 — field errors sit beside the data (GraphQL spec §7.1)."""
    body: dict[str, Any] = {}
    if result.data is not None:
        body["data"] = result.data
    if result.errors:
        body["errors"] = [_error(e) for e in result.errors]
    return body, 200 if result.data is not None else 400


def _no_operation(name: str | None) -> str:
    if name is None:
        return "the document has no operation (a query or a mutation) to run"
    return f'the document has no operation named "{_quoted(name)}" (see "operationName")'


def _unavailable(result: ExecutionResult) -> bool:
    return any(isinstance(e.original_error, DatabaseUnavailableError) for e in result.errors or ())


async def graphql_endpoint(request: Request) -> Response:
    now = datetime.now(UTC)
    try:
        refuse_token_in_url(request)
        principal = await authenticate(request, now)
        note_use(request, principal, now)
        query, variables, operation_name = await read_operation(request)
    except RequestError as exc:
        return error_response(exc)
    svc = services(request)
    provider = await current_provider(request)
    context = ApiContext(
        principal=principal,
        db=svc.db,
        backend=BACKEND,
        media=MediaSigner(svc.secret_key, provider.id, issuer_of(request, provider), now),
        now=now,
    )
    allowed = {OperationType.QUERY} if request.method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
    try:
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
            allowed_operation_types=allowed,
        )
    except InvalidOperationTypeError:
        return error_response(
            RequestError(405, "mutations must be sent with POST", headers={"Allow": "POST"}, code="METHOD_NOT_ALLOWED")
        )
    except MissingQueryError:
        return error_response(RequestError(400, 'the request has no "query"'))
    except CannotGetOperationTypeError as exc:  # Strawberry raises it past execute: it was a 500
        return error_response(RequestError(400, _no_operation(exc.operation_name)))
    if _unavailable(result):
        raise DatabaseUnavailableError("during a GraphQL request")
    body, status = format_result(result)
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
