"""The tables: every constraint that matters lives in the database, not only in Python.

SQLAlchemy Core tables (no ORM): queries in ``store/`` are explicit, and the hot paths (token
exchange, bearer checks) run a couple of compiled statements and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.types import TypeDecorator

from camgate.store import triggers

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and SQLite (text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _id() -> Column[int]:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


def _fk(name: str, target: str, ondelete: str, nullable: bool = False) -> Column[int]:
    return Column(
        name,
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey(target, ondelete=ondelete),
        nullable=nullable,
    )


def _created() -> Column[datetime]:
    return Column("created_at", UTCDateTime(), nullable=False)


HASH = String(64)  # SHA-256 hex
SCOPES_TEXT = String(200)  # space-separated rights, catalogue order

providers = Table(
    "providers",
    metadata,
    _id(),
    Column("name", String(100), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("accent_color", String(7), nullable=False, server_default="#0b5fff"),
    Column("logo_url", String(500)),
    Column("issuer", String(500)),  # e.g. https://cloud.example.com; derived from the request if NULL
    Column("is_default", Boolean, nullable=False, server_default=text("false")),
    _created(),
    CheckConstraint("accent_color LIKE '#%'", name="accent_color_hex"),
    # At most one provider answers unknown hosts.
    Index(
        "uq_providers_default",
        "is_default",
        unique=True,
        sqlite_where=text("is_default"),
        postgresql_where=text("is_default"),
    ),
)

provider_hosts = Table(
    "provider_hosts",
    metadata,
    Column("host", String(253), primary_key=True),  # lower-case, no port: unique across providers
    _fk("provider_id", "providers.id", "CASCADE"),
    Index("ix_provider_hosts_provider_id", "provider_id"),
)

organizations = Table(
    "organizations",
    metadata,
    _id(),
    _fk("provider_id", "providers.id", "CASCADE"),
    Column("name", String(100), nullable=False),
    _created(),
    UniqueConstraint("provider_id", "name"),
)

users = Table(
    "users",
    metadata,
    _id(),
    _fk("provider_id", "providers.id", "CASCADE"),
    _fk("organization_id", "organizations.id", "CASCADE"),
    Column("email", String(254), nullable=False),
    Column("email_normalized", String(254), nullable=False),  # lower-cased: unique per provider
    Column("password_hash", String(200), nullable=False),
    Column("role", String(10), nullable=False),
    Column("rights", SCOPES_TEXT, nullable=False, server_default=""),
    Column("is_active", Boolean, nullable=False, server_default=text("true")),
    _created(),
    Column("disabled_at", UTCDateTime()),
    CheckConstraint("role IN ('full', 'guest')", name="role"),
    UniqueConstraint("provider_id", "email_normalized"),
    Index("ix_users_organization_id", "organization_id"),
)

cameras = Table(
    "cameras",
    metadata,
    _id(),
    _fk("organization_id", "organizations.id", "CASCADE"),
    Column("name", String(100), nullable=False),
    Column("model", String(100), nullable=False, server_default=""),
    Column("online", Boolean, nullable=False, server_default=text("true")),
    # Simulated device state: {"pan": .., "tilt": .., "zoom": .., "light": bool, "preset": ..}
    Column("state", JSON, nullable=False),
    _created(),
    UniqueConstraint("organization_id", "name"),
)

guest_cameras = Table(
    "guest_cameras",
    metadata,
    _fk("user_id", "users.id", "CASCADE"),
    _fk("camera_id", "cameras.id", "CASCADE"),
    UniqueConstraint("user_id", "camera_id"),
    Index("ix_guest_cameras_camera_id", "camera_id"),
)

recordings = Table(
    "recordings",
    metadata,
    _id(),
    _fk("camera_id", "cameras.id", "CASCADE"),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    CheckConstraint("ended_at >= started_at", name="ends_after_start"),
    Index("ix_recordings_camera_id_started_at", "camera_id", "started_at"),
)

events = Table(
    "events",
    metadata,
    _id(),
    _fk("camera_id", "cameras.id", "CASCADE"),
    Column("type", String(50), nullable=False),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Index("ix_events_camera_id_occurred_at", "camera_id", "occurred_at"),
)

oauth_apps = Table(
    "oauth_apps",
    metadata,
    _id(),
    _fk("provider_id", "providers.id", "CASCADE"),
    _fk("owner_id", "users.id", "CASCADE"),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("client_secret_hash", HASH, nullable=False),
    Column("name", String(100), nullable=False),
    Column("description", String(1000), nullable=False, server_default=""),
    Column("redirect_uris", JSON, nullable=False),  # list of exact URLs
    Column("require_pkce", Boolean, nullable=False, server_default=text("false")),
    Column("refresh_grace_seconds", Integer, nullable=False, server_default="0"),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    # No last_used_at: an app's last use is the latest of its grants' (``apps.app_usage``).
    UniqueConstraint("owner_id", "name"),
    CheckConstraint("refresh_grace_seconds BETWEEN 0 AND 60", name="grace_bounded"),
)

# One grant per authorization (consent → code → token family). Revoking it kills every token of
# the family; the "authorized applications" page groups a user's grants by app.
grants = Table(
    "grants",
    metadata,
    _id(),
    _fk("user_id", "users.id", "CASCADE"),
    _fk("app_id", "oauth_apps.id", "CASCADE"),
    Column("scopes", SCOPES_TEXT, nullable=False),
    _created(),
    Column("revoked_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
    Index("ix_grants_user_id_app_id", "user_id", "app_id"),
    Index("ix_grants_app_id", "app_id"),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    _id(),
    Column("code_hash", HASH, nullable=False, unique=True),
    _fk("app_id", "oauth_apps.id", "CASCADE"),
    _fk("user_id", "users.id", "CASCADE"),
    _fk("grant_id", "grants.id", "CASCADE", nullable=True),  # set when the code is exchanged
    Column("redirect_uri", String(2000), nullable=False),
    Column("redirect_uri_given", Boolean, nullable=False),  # RFC 6749 §4.1.3: must be repeated if given
    Column("scopes", SCOPES_TEXT, nullable=False),
    Column("code_challenge", String(128)),
    Column("code_challenge_method", String(10)),
    _created(),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Index("ix_authorization_codes_expires_at", "expires_at"),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    _id(),
    Column("token_hash", HASH, nullable=False, unique=True),
    Column("display_prefix", String(16), nullable=False),
    _fk("provider_id", "providers.id", "CASCADE"),
    _fk("user_id", "users.id", "CASCADE"),
    _fk("app_id", "oauth_apps.id", "CASCADE"),
    _fk("grant_id", "grants.id", "CASCADE"),
    Column("scopes", SCOPES_TEXT, nullable=False),
    _created(),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
    Index("ix_access_tokens_grant_id", "grant_id"),
    Index("ix_access_tokens_expires_at", "expires_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    _id(),
    Column("token_hash", HASH, nullable=False, unique=True),
    Column("display_prefix", String(16), nullable=False),
    _fk("provider_id", "providers.id", "CASCADE"),
    _fk("user_id", "users.id", "CASCADE"),
    _fk("app_id", "oauth_apps.id", "CASCADE"),
    _fk("grant_id", "grants.id", "CASCADE"),
    Column("scopes", SCOPES_TEXT, nullable=False),
    _created(),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("rotated_at", UTCDateTime()),  # set once, when it was exchanged for its successor
    _fk("successor_id", "refresh_tokens.id", "SET NULL", nullable=True),
    Column("last_used_at", UTCDateTime()),
    Index("ix_refresh_tokens_grant_id", "grant_id"),
    Index("ix_refresh_tokens_expires_at", "expires_at"),
    # ON DELETE SET NULL on the self-reference: without this index every purged refresh token
    # scans the whole table for successors pointing at it.
    Index("ix_refresh_tokens_successor_id", "successor_id"),
)

personal_tokens = Table(
    "personal_tokens",
    metadata,
    _id(),
    Column("token_hash", HASH, nullable=False, unique=True),
    Column("display_prefix", String(16), nullable=False),
    _fk("provider_id", "providers.id", "CASCADE"),
    _fk("user_id", "users.id", "CASCADE"),
    Column("name", String(100), nullable=False),
    Column("scopes", SCOPES_TEXT, nullable=False),
    _created(),
    Column("expires_at", UTCDateTime()),  # NULL: never
    Column("revoked_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
    Index("ix_personal_tokens_user_id", "user_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", HASH, primary_key=True),  # SHA-256 of the cookie value
    _fk("user_id", "users.id", "CASCADE"),
    Column("csrf_secret", String(64), nullable=False),
    _created(),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("ip", String(45)),
    Column("user_agent", String(300)),
    Index("ix_sessions_user_id", "user_id"),
    Index("ix_sessions_expires_at", "expires_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    _id(),
    _fk("provider_id", "providers.id", "CASCADE"),
    _fk("organization_id", "organizations.id", "CASCADE", nullable=True),
    _fk("user_id", "users.id", "SET NULL", nullable=True),
    Column("actor", String(254), nullable=False, server_default=""),  # email or client_id, kept after deletion
    Column("action", String(50), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("ip", String(45)),
    _created(),
    Index("ix_audit_events_organization_id_id", "organization_id", "id"),
    Index("ix_audit_events_user_id_id", "user_id", "id"),
)

device_commands = Table(
    "device_commands",
    metadata,
    _id(),
    _fk("camera_id", "cameras.id", "CASCADE"),
    _fk("user_id", "users.id", "SET NULL", nullable=True),
    Column("token_kind", String(10), nullable=False),
    Column("token_prefix", String(16), nullable=False),
    Column("command", String(50), nullable=False),
    Column("args", JSON, nullable=False),
    _created(),
    Index("ix_device_commands_camera_id_id", "camera_id", "id"),
)

# Brute-force counters shared by every worker (when no Redis is configured).
throttle_counters = Table(
    "throttle_counters",
    metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_start", UTCDateTime(), nullable=False),
    Column("locked_until", UTCDateTime()),
    Column("lock_count", Integer, nullable=False, server_default="0"),
)


def _create_cache_triggers(target: Any, connection: Any, **_kw: Any) -> None:
    """``create_all`` builds what the migrations build, the cache's triggers included."""
    if connection.dialect.name == "postgresql":
        for statement in triggers.create_statements():
            connection.exec_driver_sql(statement)


event.listen(metadata, "after_create", _create_cache_triggers)
