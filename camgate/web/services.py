"""The per-process objects every route reaches through ``request.app.state.services``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from starlette.requests import Request

from camgate.config import Settings
from camgate.domain import Provider
from camgate.oauth.context import Lifetimes, OAuthContext
from camgate.oauth.throttle import Throttle
from camgate.store import providers as provider_store
from camgate.store.cache import ReadCache
from camgate.store.database import Database
from camgate.store.invalidation import InvalidationFeed, listener_dsn
from camgate.store.oauth_unit import SqlOAuthStorage

PROVIDER_CACHE_SECONDS = 10.0


class NoProviderError(Exception):
    """No provider owns the request's host and none is the default."""


@dataclass
class Services:
    settings: Settings
    db: Database
    secret_key: bytes
    throttle: Throttle | None = None
    storage: SqlOAuthStorage = field(init=False)
    lifetimes: Lifetimes = field(init=False)
    # The read cache and the feed that invalidates it: PostgreSQL only (see ``store.cache``).
    cache_feed: InvalidationFeed | None = field(init=False, default=None)
    _providers: dict[str, tuple[float, Provider]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cache = None
        if not self.db.is_sqlite and self.settings.cache_seconds > 0:
            cache = ReadCache(self.settings.cache_seconds)
            self.cache_feed = InvalidationFeed(listener_dsn(self.db.url), cache, schema=self.db.schema)
        self.storage = SqlOAuthStorage(self.db, cache)
        self.lifetimes = Lifetimes(
            access_token=self.settings.access_token_ttl,
            code=self.settings.code_ttl,
            refresh_token=self.settings.refresh_token_ttl,
        )

    async def provider_for(self, host: str) -> Provider:
        """The provider of a host name, cached for a few seconds (providers rarely change)."""
        now = time.monotonic()
        hit = self._providers.get(host)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with self.db.read() as conn:
            provider = await provider_store.provider_for_host(conn, host)
        if provider is None:
            raise NoProviderError(host)
        if len(self._providers) > 1000:  # bounded: arbitrary Host headers must not grow it forever
            self._providers.clear()
        self._providers[host] = (now + PROVIDER_CACHE_SECONDS, provider)
        return provider


def services(request: Request) -> Services:
    return request.app.state.services


def request_host(request: Request) -> str:
    """The request's host name without port (DESIGN.md §2: the host picks the provider)."""
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.rsplit(":", 1)[0].lower() if ":" in host else host.lower()


async def current_provider(request: Request) -> Provider:
    cached = request.scope.get("camgate.provider")
    if cached is None:
        cached = await services(request).provider_for(request_host(request))
        request.scope["camgate.provider"] = cached
    return cached


def issuer_of(request: Request, provider: Provider) -> str:
    """The provider's configured issuer, or one derived from the request (fine on loopback)."""
    if provider.issuer:
        return provider.issuer.rstrip("/")
    host = request.headers.get("host") or "localhost"
    return f"{request.scope.get('scheme', 'http')}://{host}"  # (request.url would parse the whole URL)


async def oauth_context(request: Request) -> OAuthContext:
    svc = services(request)
    provider = await current_provider(request)
    return OAuthContext(
        provider=provider,
        issuer=issuer_of(request, provider),
        storage=svc.storage,
        lifetimes=svc.lifetimes,
        throttle=svc.throttle,
        ip=request.client.host if request.client else None,
        secret_key=svc.secret_key,
    )
