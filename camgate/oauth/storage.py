"""What the protocol core needs from storage, as an interface (``store.oauth_unit`` implements it
on SQL; the unit tests implement it in memory).

Every endpoint works inside one ``unit``: its writes are committed together when the block ends
and rolled back if it raises, so no token is ever reported issued that was not stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from camgate.domain import App, AuthorizationCode, BearerRecord, IssuedToken, RefreshToken, TokenRecord, User
from camgate.tokens import TokenKind


class OAuthUnit(Protocol):
    async def app_by_client_id(self, provider_id: int, client_id: str) -> App | None: ...
    async def user_by_id(self, user_id: int) -> User | None: ...

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

    async def consume_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        """Atomically mark an unused code used and return it; None if unknown or already used."""

    async def find_code(self, code_hash: str) -> AuthorizationCode | None: ...

    async def create_grant(
        self, *, user_id: int, app_id: int, scopes: Iterable[str], now: datetime, code_id: int | None
    ) -> int: ...

    async def insert_access_token(
        self,
        token: IssuedToken,
        *,
        provider_id: int,
        user_id: int,
        app_id: int,
        grant_id: int,
        scopes: Iterable[str],
        now: datetime,
    ) -> int: ...

    async def insert_refresh_token(
        self,
        token: IssuedToken,
        *,
        provider_id: int,
        user_id: int,
        app_id: int,
        grant_id: int,
        scopes: Iterable[str],
        now: datetime,
    ) -> int: ...

    async def rotate_refresh_token(self, token_hash: str, now: datetime) -> RefreshToken | None:
        """Atomically mark a live refresh token rotated and return it; None otherwise."""

    async def find_refresh_token(self, token_hash: str) -> RefreshToken | None: ...
    async def touch_live_grant(self, grant_id: int, now: datetime) -> bool: ...
    async def set_successor(self, refresh_id: int, successor_id: int) -> None: ...
    async def revoke_grant(self, grant_id: int, now: datetime) -> None: ...
    async def find_token(self, token_hash: str, kind: str) -> TokenRecord | None: ...
    async def revoke_personal_token(self, token_id: int, now: datetime) -> None: ...
    async def access_token_record(self, token_hash: str) -> BearerRecord | None: ...
    async def personal_token_record(self, token_hash: str) -> BearerRecord | None: ...

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
