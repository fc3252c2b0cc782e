"""The protocol core's test bench: two providers in a ``MemoryStorage``, no server, no database."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest

from camgate.domain import App, Provider, Role, User
from camgate.oauth import authorize
from camgate.oauth.context import OAuthContext
from camgate.oauth.token_endpoint import token_request
from tests.support import run
from tests.unit.oauth.memory_storage import MemoryStorage, provider

T = TypeVar("T")
SECRET_KEY = b"unit-test-secret-key"


@dataclass
class Client:
    app: App
    secret: str

    @property
    def client_id(self) -> str:
        return self.app.client_id

    @property
    def redirect_uri(self) -> str:
        return self.app.redirect_uris[0]

    def creds(self) -> dict[str, str]:
        return {"client_id": self.app.client_id, "client_secret": self.secret}


@dataclass
class Bench:
    storage: MemoryStorage
    a: Provider
    b: Provider
    owner: User
    guest: User
    b_owner: User
    app: Client
    pkce_app: Client
    other_app: Client
    b_app: Client
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 30, 12, 0, tzinfo=UTC))

    def ctx(self, at: Provider | None = None, *, later: float = 0, **kw: Any) -> OAuthContext:
        p = at or self.a
        kw.setdefault("secret_key", SECRET_KEY)
        return OAuthContext(
            provider=p,
            issuer=p.issuer or "",
            storage=self.storage,
            now=self.now + timedelta(seconds=later),
            **kw,
        )

    def run(self, coro: Awaitable[T]) -> T:
        return run(coro)

    def auth_params(self, client: Client, **extra: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": "read,write",
            "state": "st",
        }
        params.update(extra)
        return {k: v for k, v in params.items() if v != ""}

    def redirect(self, client: Client, *, user: User | None = None, at: Provider | None = None, **extra: str) -> str:
        """Validate an authorization request, approve it, return the redirect location."""
        ctx = self.ctx(at)
        request = self.run(authorize.validate_authorization_request(ctx, self.auth_params(client, **extra)))
        return self.run(authorize.approve(ctx, request, user or self.owner))

    def code(self, client: Client, **kw: Any) -> str:
        return query(self.redirect(client, **kw))["code"]

    def token(
        self,
        params: dict[str, str],
        basic: tuple[str, str] | None = None,
        *,
        at: Provider | None = None,
        later: float = 0,
    ) -> dict[str, Any]:
        return self.run(token_request(self.ctx(at, later=later), params, basic))

    def exchange(self, client: Client, code: str, *, secret: bool = True, **extra: str) -> dict[str, Any]:
        params = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
        params.update(client.creds() if secret else {"client_id": client.client_id})
        params.update(extra)
        return self.token(params)

    def tokens(self, client: Client | None = None, **kw: Any) -> dict[str, Any]:
        client = client or self.app
        return self.exchange(client, self.code(client, **kw))

    def refresh(self, client: Client, refresh_token: str, *, later: float = 0, **extra: str) -> dict[str, Any]:
        params = {"grant_type": "refresh_token", "refresh_token": refresh_token, **client.creds(), **extra}
        return self.token(params, later=later)


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.fixture
def bench() -> Bench:
    storage = MemoryStorage()
    a, b = provider(1, "alpha"), provider(2, "beta")
    owner = storage.add_user(a.id)
    guest = storage.add_user(a.id, role=Role.GUEST, rights=("read", "liveview"))
    b_owner = storage.add_user(b.id)
    return Bench(
        storage=storage,
        a=a,
        b=b,
        owner=owner,
        guest=guest,
        b_owner=b_owner,
        app=Client(*storage.add_app(owner)),
        pkce_app=Client(*storage.add_app(owner, redirect_uris=("com.example.app:/cb",), require_pkce=True)),
        other_app=Client(*storage.add_app(owner, redirect_uris=("https://other.example/cb",))),
        b_app=Client(*storage.add_app(b_owner, redirect_uris=("https://client.example/cb",))),
    )
