"""What every endpoint of the protocol core is called with, besides the request's parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from camgate.domain import IssuedToken, Provider
from camgate.oauth.storage import OAuthStorage
from camgate.oauth.throttle import Throttle
from camgate.tokens import TokenKind, display_prefix, hash_token, mint


@dataclass(frozen=True, slots=True)
class Lifetimes:
    access_token: int = 3600  # the document's "expires_in":3600
    code: int = 120
    refresh_token: int = 90 * 86400


@dataclass(slots=True)
class OAuthContext:
    """One request's view of the server: which provider, its issuer URL, storage and policy."""

    provider: Provider
    issuer: str
    storage: OAuthStorage
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    throttle: Throttle | None = None
    ip: str | None = None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The installation's secret key, as plain bytes: the refresh grace period derives a rotated
    # token's successors from it (``grants.refresh_token``), since no plaintext token is stored.
    secret_key: bytes = b""

    def new_token(self, kind: TokenKind, ttl: int) -> tuple[str, IssuedToken]:
        """Mint a credential: the plaintext for the client, the hash-only record for storage."""
        return self.record(mint(kind), ttl)

    def record(self, value: str, ttl: int) -> tuple[str, IssuedToken]:
        """The hash-only record of an already minted (or derived) credential."""
        return value, IssuedToken(hash_token(value), display_prefix(value), self.now + timedelta(seconds=ttl))
