"""One exception class per OAuth 2.0 error code.

::

    OAuthError                      error code        status
    ├── InvalidRequestError         invalid_request   400   RFC 6749 §4.1.2.1, §5.2
    ├── InvalidClientError          invalid_client    401   RFC 6749 §5.2
    ├── InvalidGrantError           invalid_grant     400   RFC 6749 §5.2
    ├── UnauthorizedClientError     unauthorized_client 400 RFC 6749 §5.2
    ├── UnsupportedGrantTypeError   unsupported_grant_type 400
    ├── UnsupportedResponseTypeError unsupported_response_type (redirect) RFC 6749 §4.1.2.1
    ├── InvalidScopeError           invalid_scope     400   RFC 6749 §5.2
    ├── AccessDeniedError           access_denied     (redirect)
    ├── UnsupportedTokenTypeError   unsupported_token_type 400  RFC 7009 §2.2.1
    ├── InvalidTokenError           invalid_token     401   RFC 6750 §3.1
    ├── SlowDownError               slow_down-like throttle, sent as invalid_client/429
    ├── ServerError                 server_error      500 (never sent with detail)
    └── TemporarilyUnavailableError temporarily_unavailable 503

``description`` is the public ``error_description``: short, and never built from the request's
secrets. Anything only an operator should know goes in ``log_detail``.
"""

from __future__ import annotations


class OAuthError(Exception):
    error = "invalid_request"
    status_code = 400

    def __init__(self, description: str, *, log_detail: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.log_detail = log_detail
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class InvalidRequestError(OAuthError):
    """The request is missing a required parameter, includes an unsupported parameter value,
    repeats a parameter, or is otherwise malformed (RFC 6749 §5.2)."""

    error = "invalid_request"


class InvalidClientError(OAuthError):
    """Client authentication failed (RFC 6749 §5.2): answered with 401 and, when the client tried
    HTTP Basic, a ``WWW-Authenticate`` header naming the scheme."""

    error = "invalid_client"
    status_code = 401


class InvalidGrantError(OAuthError):
    """The authorization code or refresh token is invalid, expired, revoked, does not match the
    redirection URI used in the authorization request, or was issued to another client (§5.2)."""

    error = "invalid_grant"


class UnauthorizedClientError(OAuthError):
    """The authenticated client is not authorized to use this grant type (§5.2)."""

    error = "unauthorized_client"


class UnsupportedGrantTypeError(OAuthError):
    """The grant type is not supported by the authorization server (§5.2)."""

    error = "unsupported_grant_type"


class UnsupportedResponseTypeError(OAuthError):
    """The server does not support obtaining a code with this response type (§4.1.2.1)."""

    error = "unsupported_response_type"


class InvalidScopeError(OAuthError):
    """The requested scope is invalid, unknown, malformed, or exceeds what was granted (§5.2)."""

    error = "invalid_scope"


class AccessDeniedError(OAuthError):
    """The resource owner denied the request (§4.1.2.1)."""

    error = "access_denied"
    status_code = 403


class UnsupportedTokenTypeError(OAuthError):
    """The server does not support the revocation of the presented token type (RFC 7009 §2.2.1)."""

    error = "unsupported_token_type"


class InvalidTokenError(OAuthError):
    """The access token is expired, revoked, malformed, or invalid for other reasons (RFC 6750 §3.1)."""

    error = "invalid_token"
    status_code = 401


class TooManyAttemptsError(OAuthError):
    """Too many failed client authentications: the client must wait (sent as 429 + Retry-After)."""

    error = "invalid_client"
    status_code = 429


class ServerError(OAuthError):
    """An unexpected condition; the client is told nothing more (§4.1.2.1)."""

    error = "server_error"
    status_code = 500


class TemporarilyUnavailableError(OAuthError):
    """The server cannot handle the request now, e.g. its database is unreachable (§4.1.2.1)."""

    error = "temporarily_unavailable"
    status_code = 503
