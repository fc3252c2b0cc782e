"""The nouns of camgate and the catalogue of rights (scopes).

The ten rights come verbatim from the camera cloud's document; their plain-word explanations are
what the consent dialog and the portal show to a camera owner.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "read": "See your cameras, their settings and your account",
    "write": "Rename your cameras and change their settings",
    "liveview": "Watch live video and take snapshots",
    "audiotransmit": "Talk through the cameras' speakers",
    "liveview_ptz": "Move, tilt and zoom the cameras",
    "liveview_light": "Switch the cameras' lights on and off",
    "liveview_audioclip": "Play audio clips on the cameras",
    "recordings": "Watch and download recordings",
    "recordings_delete": "Delete recordings",
    "events": "See the cameras' events (motion, sound, …)",
}
# The document's order, which is also the order every page lists them in.
SCOPES: tuple[str, ...] = tuple(SCOPE_DESCRIPTIONS)
ALL_SCOPES: frozenset[str] = frozenset(SCOPES)
DEFAULT_SCOPE = "read"


class Role(enum.StrEnum):
    FULL = "full"
    GUEST = "guest"


class UnknownScopeError(ValueError):
    """A right that is not one of the ten in the catalogue."""


def parse_scope_list(raw: str | Iterable[str]) -> frozenset[str]:
    """Split comma- or space-separated rights (the document uses commas, RFC 6749 §3.3 spaces).

    Raises UnknownScopeError naming the first unknown right.
    """
    if isinstance(raw, str):
        parts = raw.replace(",", " ").split()
    else:
        parts = [p for item in raw for p in item.replace(",", " ").split()]
    for part in parts:
        if part not in ALL_SCOPES:
            raise UnknownScopeError(part)
    return frozenset(parts)


def format_scopes(scopes: Iterable[str]) -> str:
    """Space-separated, in catalogue order: the wire form of RFC 6749 §3.3 and the stored form."""
    chosen = set(scopes)
    return " ".join(s for s in SCOPES if s in chosen)


@dataclass(frozen=True, slots=True)
class Provider:
    id: int
    name: str
    display_name: str
    accent_color: str
    logo_url: str | None
    issuer: str | None
    is_default: bool


@dataclass(frozen=True, slots=True)
class User:
    id: int
    provider_id: int
    organization_id: int
    email: str
    role: Role
    rights: frozenset[str]
    is_active: bool
    camera_ids: frozenset[int] | None = None  # guests only; None means "every camera of the org"

    @property
    def effective_rights(self) -> frozenset[str]:
        """A full-access account holds every right; a guest only the ones given to it."""
        return ALL_SCOPES if self.role is Role.FULL else self.rights


@dataclass(frozen=True, slots=True)
class App:
    id: int
    provider_id: int
    owner_id: int
    client_id: str
    client_secret_hash: str
    name: str
    description: str
    redirect_uris: tuple[str, ...]
    require_pkce: bool
    refresh_grace_seconds: int = 0
    owner_email: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TokenPrincipal:
    """Who a valid bearer token speaks for: what the API and introspection see after validation."""

    kind: str  # "personal" or "access"
    token_id: int
    display_prefix: str
    provider_id: int
    user: User
    scopes: frozenset[str]
    app_id: int | None
    client_id: str | None
    grant_id: int | None
    expires_at: datetime | None
    issued_at: datetime
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """A stored authorization code (RFC 6749 §4.1.2), bound to everything it was issued for."""

    id: int
    app_id: int
    user_id: int
    redirect_uri: str
    redirect_uri_given: bool
    scopes: frozenset[str]
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: datetime
    used_at: datetime | None
    grant_id: int | None


@dataclass(frozen=True, slots=True)
class RefreshToken:
    id: int
    provider_id: int
    user_id: int
    app_id: int
    grant_id: int
    scopes: frozenset[str]
    expires_at: datetime
    revoked_at: datetime | None
    rotated_at: datetime | None
    successor_id: int | None
    grant_revoked: bool


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What the storage is asked to keep for a freshly minted credential: hashes, never the token."""

    token_hash: str
    display_prefix: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """Any token found by its hash, for revocation and introspection (RFC 7009, RFC 7662)."""

    kind: str  # "access", "refresh" or "personal"
    id: int
    provider_id: int
    user_id: int
    app_id: int | None
    grant_id: int | None


# What the token endpoint hands the storage (``oauth.storage.OAuthUnit``).


@dataclass(frozen=True, slots=True)
class CodeWithUser:
    """A code as read before an exchange, with the user it was issued for (None if gone)."""

    code: AuthorizationCode
    user: User | None


@dataclass(frozen=True, slots=True)
class RefreshWithUser:
    """A refresh token as read before a rotation, with its user (None if that user is gone)."""

    token: RefreshToken
    user: User | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str
    provider_id: int
    user_id: int | None
    actor: str
    ip: str | None
    detail: dict[str, Any]
    organization_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewGrant:
    """A grant to create (a code exchange): its scopes and the code it comes from, which is
    marked used in the same write, only if it still is unused."""

    scopes: frozenset[str]
    code_id: int


@dataclass(frozen=True, slots=True)
class TokenIssue:
    """Everything one token response stores; ``OAuthUnit.issue_tokens`` writes all of it or none.

    Exactly one of ``new_grant`` (code exchange) and ``grant_id`` (refresh, the grant is
    touched as used) is set. ``refresh`` is None for a client without a secret (one-time access).
    ``rotated_refresh_id`` is the refresh token the new one succeeds: it is marked rotated in the
    same write, which happens only if that token and its grant are still live. When the grant is new, the
    ``grant_id`` entry of ``audit.detail`` (None when built) is stored as the new grant's id, at
    the same place in the detail (the activity page shows the entries in order).
    """

    provider_id: int
    user_id: int
    app_id: int
    now: datetime
    access: IssuedToken
    access_scopes: frozenset[str]
    refresh: IssuedToken | None
    refresh_scopes: frozenset[str]
    audit: AuditEntry
    new_grant: NewGrant | None = None
    grant_id: int | None = None
    rotated_refresh_id: int | None = None

    def __post_init__(self) -> None:
        if (self.new_grant is None) == (self.grant_id is None):
            raise ValueError("a token issue has either a new grant or an existing grant id")


@dataclass(frozen=True, slots=True)
class BearerRecord:
    """A stored token and what decides whether it is still good (judged in ``oauth.bearer``)."""

    principal: TokenPrincipal
    revoked: bool
