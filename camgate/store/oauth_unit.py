"""The SQL implementation of ``camgate.oauth.storage.OAuthStorage``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncConnection

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
from camgate.store import apps, audit, bearer, grants, personal_tokens
from camgate.store.cache import ReadCache
from camgate.store.database import Database
from camgate.tokens import TokenKind

T = TypeVar("T")

# How long a revocation waits for the echo of its own invalidation notification (see ``unit``).
ECHO_WAIT_SECONDS = 0.25


class SqlOAuthUnit:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self.revoked = False  # a revocation changed a live row: the unit waits for its echo

    async def insert_code(self, **values: Any) -> None:
        await grants.insert_code(self.conn, **values)

    async def code_with_user(self, code_hash: str) -> CodeWithUser | None:
        return await grants.code_with_user(self.conn, code_hash)

    async def consume_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        return await grants.consume_code(self.conn, code_hash, now)

    async def find_code(self, code_hash: str) -> AuthorizationCode | None:
        return await grants.find_code(self.conn, code_hash)

    async def issue_tokens(self, issue: TokenIssue) -> int | None:
        return await grants.issue_tokens(self.conn, issue)

    async def refresh_token_with_user(self, token_hash: str) -> RefreshWithUser | None:
        return await grants.refresh_token_with_user(self.conn, token_hash)

    async def find_refresh_token(self, token_hash: str) -> RefreshToken | None:
        return await grants.find_refresh_token(self.conn, token_hash)

    async def revoke_grant(self, grant_id: int, now: datetime) -> None:
        if await grants.revoke_grant(self.conn, grant_id, now):
            self.revoked = True

    async def find_token(self, token_hash: str, kind: str) -> TokenRecord | None:
        return await grants.find_token(self.conn, token_hash, kind)

    async def revoke_personal_token(self, token_id: int, now: datetime) -> None:
        if await personal_tokens.revoke_personal_token_by_id(self.conn, token_id, now):
            self.revoked = True

    async def access_token_record(self, token_hash: str) -> BearerRecord | None:
        return await bearer.access_token_record(self.conn, token_hash)

    async def audit(self, **values: Any) -> None:
        await audit.record(self.conn, **values)


class SqlOAuthStorage:
    """Units of work on ``db``, and the two hot lookups, answered from ``cache`` when it has them."""

    def __init__(self, db: Database, cache: ReadCache | None = None) -> None:
        self.db = db
        self.cache = cache

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[SqlOAuthUnit]:
        cache = self.cache
        generation = cache.generation if cache is not None else 0
        async with self.db.transaction() as conn:
            unit = SqlOAuthUnit(conn)
            yield unit
        if unit.revoked and cache is not None and cache.live:
            # Committed: the triggers' notification is on its way to every worker. Answering only
            # once it came back here means PostgreSQL has sent it to all of them, so the client's
            # next request finds it applied wherever it lands (issue 7's "very next request").
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(ECHO_WAIT_SECONDS):
                    await cache.wait_for_invalidation(generation)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlOAuthUnit]:
        async with self.db.read() as conn:
            yield SqlOAuthUnit(conn)

    async def find_app(self, provider_id: int, client_id: str) -> App | None:
        return await self._through_cache(
            ("app", provider_id, client_id),
            lambda conn: apps.app_by_client_id(conn, provider_id=provider_id, client_id=client_id),
        )

    async def find_bearer(self, kind: TokenKind, token_hash: str) -> BearerRecord | None:
        if kind is TokenKind.ACCESS:
            return await self._through_cache((kind, token_hash), lambda c: bearer.access_token_record(c, token_hash))
        return await self._through_cache((kind, token_hash), lambda c: bearer.personal_token_record(c, token_hash))

    async def _through_cache(self, key: Hashable, read: Callable[[AsyncConnection], Awaitable[T | None]]) -> T | None:
        """The cached value, or ``read`` on a pooled connection, kept if the cache may keep it
        (``ReadCache.put`` refuses a result read across an invalidation). Misses are not kept."""
        cache = self.cache
        generation = 0
        if cache is not None:
            hit = await cache.get(key)
            if hit is not None:
                return cast(T, hit)
            generation = cache.generation
        async with self.db.read() as conn:
            value = await read(conn)
        if cache is not None and value is not None:
            cache.put(key, value, generation)
        return value
