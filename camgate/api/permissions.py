"""The checks every API field makes, and the errors that say which one failed.

Three things decide whether a field answers (issue 5):

1. the token's scopes — what the user granted this token or app (``require_right``);
2. the user's own rights now — a guest whose rights were narrowed after the token was issued loses
   them at once (``require_right`` too: the token can never exceed its user);
3. the cameras — a guest sees only its own list; every query is narrowed in SQL by the request's
   ``Viewer`` (``store.devices.visible``), so a hidden camera is indistinguishable from one that
   does not exist (``NotFoundError`` for both, or simply absent from lists).

Errors are GraphQL errors on the field (the rest of the query still answers) with a machine code in
``extensions.code``: FORBIDDEN (with ``extensions.scope``, the right needed), NOT_FOUND,
BAD_USER_INPUT.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.types import Info

from camgate.api.context import ApiContext


class ForbiddenError(GraphQLError):
    """The token or its user lacks the right a field needs (RFC 6750 §3.1's insufficient_scope, per field)."""

    def __init__(self, scope: str, *, reason: str) -> None:
        if reason == "token":
            message = f'this token was not granted the "{scope}" right'
        else:
            message = f'your account does not hold the "{scope}" right'
        super().__init__(message, extensions={"code": "FORBIDDEN", "scope": scope, "reason": reason})


class NotFoundError(GraphQLError):
    """No such object among those the caller may see (hidden and nonexistent look the same)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no {what} with this id", extensions={"code": "NOT_FOUND"})


class BadInputError(GraphQLError):
    """An argument the API or the device refuses; the message says which and why."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message, extensions={"code": "BAD_USER_INPUT", **extra})


def context_of(info: Info[Any, Any]) -> ApiContext:
    ctx = info.context
    assert isinstance(ctx, ApiContext)
    return ctx


def require_right(info: Info[Any, Any], scope: str) -> ApiContext:
    """Pass only if the token was granted ``scope`` and its user still holds it; the context back."""
    ctx = context_of(info)
    if scope not in ctx.principal.scopes:
        raise ForbiddenError(scope, reason="token")
    if scope not in ctx.principal.user.effective_rights:
        raise ForbiddenError(scope, reason="account")
    return ctx


def parse_id(raw: str, what: str) -> int:
    """An object id from the API's ``ID`` (a decimal string); anything else names no object."""
    if not raw.isdigit() or len(raw) > 18:
        raise NotFoundError(what)
    return int(raw)
