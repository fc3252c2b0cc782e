"""Configuration from ``CAMGATE_*`` environment variables (documented in the README)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(ValueError):
    """A configuration value camgate cannot work with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CAMGATE_", extra="ignore")

    var_dir: Path = Path("var")
    database_url: str = ""  # default: sqlite:///<var_dir>/camgate.db
    database_schema: str = ""  # PostgreSQL only: keep camgate's tables in this schema
    # PostgreSQL connections per worker process (a quarter more in bursts, and one more that
    # listens for cache invalidations): keep workers x (1.25 x pool size + 1) under the server's
    # max_connections.
    database_pool_size: int = Field(20, ge=1, le=100)
    secret_key: str = ""  # default: generated once and kept in <var_dir>/secret_key
    redis_url: str = ""  # optional: brute-force counters shared by every worker and machine

    access_token_ttl: int = Field(3600, ge=60)  # the document: "expires_in":3600
    code_ttl: int = Field(120, ge=10, le=600)  # RFC 6749 §4.1.2: short-lived, 10 minutes at most
    refresh_token_ttl: int = Field(90 * 86400, ge=3600)
    session_ttl: int = Field(12 * 3600, ge=300)
    # Behind a TLS-terminating proxy, trust X-Forwarded-Proto/-For from these addresses.
    forwarded_allow_ips: str = "127.0.0.1"

    login_max_failures: int = Field(5, ge=1)  # per account, then a lock that doubles each time
    login_lock_seconds: int = Field(60, ge=1)
    login_lock_max_seconds: int = Field(900, ge=1)
    ip_max_failures: int = Field(50, ge=1)  # per client address per window
    client_max_failures: int = Field(20, ge=1)  # client-secret failures per client per window
    throttle_window_seconds: int = Field(900, ge=1)

    # PostgreSQL only: how long a worker may answer bearer checks and client lookups from its
    # own memory. Every change is announced to every worker at once (LISTEN/NOTIFY), so this is
    # only the bound should a notification ever be lost; 0 turns the cache off.
    cache_seconds: float = Field(1.0, ge=0.0, le=5.0)
    log_level: str = "info"

    @property
    def resolved_database_url(self) -> str:
        return normalize_database_url(self.database_url or f"sqlite:///{self.var_dir}/camgate.db")

    def resolved_secret_key(self) -> bytes:
        """The key that signs sessions, CSRF tokens and media URLs.

        Shared by every worker: taken from CAMGATE_SECRET_KEY, else read from (or created once in)
        ``<var_dir>/secret_key`` with mode 0600, so no worker holds a per-process secret.
        """
        if self.secret_key:
            return self.secret_key.encode()
        path = self.var_dir / "secret_key"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip().encode()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def normalize_database_url(url: str) -> str:
    """Take the plain URLs an operator writes and pick camgate's async driver for them."""
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    for plain, driver in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    scheme = url.split(":", 1)[0] if ":" in url else url
    raise ConfigError(f"CAMGATE_DATABASE_URL: unsupported database {scheme!r} (use sqlite:// or postgresql://)")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
