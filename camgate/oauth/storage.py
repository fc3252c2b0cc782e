"""What the protocol core needs from storage, as an interface (``store.oauth_unit`` implements it
on SQL; the unit tests implement it in memory).

Every endpoint works inside one ``unit``: its writes are committed together when the block ends
and rolled back if it raises, so no token is ever reported issued that was not stored. One
operation is atomic on its own as well, ``issue_tokens``, which lets the SQL storage spare the
transaction's round trips when it and plain reads are all a unit does.

A token response's writes (the code spent or the refresh token rotated, grant, access token,
refresh token, successor link, audit row) are handed over as one ``TokenIssue`` so that the
storage can write them in one round trip; what goes into it (which scopes, whether a refresh token
at all) is decided by ``oauth.grants``, on what ``code_with_user`` / ``refresh_token_with_user``
read before.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from camgate.domain import (
    App,
    AuthorizationCode,
    BearerRecord,
    CodeWithUser,
    RefreshToken,
    RefreshWithUser,
    TokenIssue,
    TokenRecord,
)
from camgate.tokens import TokenKind


class OAuthUnit(Protocol):

    async def insert_code(
        self,
        *,
        code_hash: str,
        app_id: int,
        user_id: int,
        redirect_uri: str,
        redirect_uri_given: bool,
        scopes: Iterable[str],
        code_challenge: str | None,
        code_challenge_method: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> None: ...

    async def code_with_user(self, code_hash: str) -> CodeWithUser | None:
        """A code by hash with its user, for the checks made before exchanging it."""

    async def consume_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        """Atomically mark an unused code used and return it; None if unknown or already used."""

    async def find_code(self, code_hash: str) -> AuthorizationCode | None: ...

    async def issue_tokens(self, issue: TokenIssue) -> int | None:
        """Store everything of ``issue`` at once and return the grant's id. First mark the code
        of ``issue.new_grant`` used if it is unused, or the refresh token of
        ``issue.rotated_refresh_id`` rotated if it and its grant are still live; if not (a
        concurrent request came first), write nothing and return None. Atomic on its own: it may
        be committed at once, before the unit ends."""

    async def refresh_token_with_user(self, token_hash: str) -> RefreshWithUser | None:
        """A refresh token by hash with its user, for the checks made before rotating it."""

    async def find_refresh_token(self, token_hash: str) -> RefreshToken | None: ...
    async def revoke_grant(self, grant_id: int, now: datetime) -> None: ...
    async def find_token(self, token_hash: str, kind: str) -> TokenRecord | None: ...
    async def revoke_personal_token(self, token_id: int, now: datetime) -> None: ...
    async def access_token_record(self, token_hash: str) -> BearerRecord | None: ...

    async def audit(
        self,
        *,
        provider_id: int,
        action: str,
        user_id: int | None = None,
        organization_id: int | None = None,
        actor: str = "",
        ip: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None: ...


class OAuthStorage(Protocol):
    def unit(self) -> AbstractAsyncContextManager[OAuthUnit]:
        """One transaction's worth of storage operations."""

    def read(self) -> AbstractAsyncContextManager[OAuthUnit]:
        """Read-only operations: no transaction to commit."""

    # The two lookups behind every API call, introspection and token request. An implementation
    # may answer them from a short-lived cache, but only one that every change to the row
    # invalidates everywhere before the change is reported done (``store.cache``): a revoked
    # token or a rotated secret must fail on the very next request.
    async def find_app(self, provider_id: int, client_id: str) -> App | None: ...
    async def find_bearer(self, kind: TokenKind, token_hash: str) -> BearerRecord | None:
        """An access or personal token's record by its hash (``kind`` says which table)."""
