"""The operations an operator (CLI) and a camera owner (portal) share: creating and changing
accounts, cameras, applications and personal tokens, with every input checked first.

Each function runs in the caller's transaction, so a failure half-way writes nothing.
Bad input raises ``ValidationError`` naming the field and what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import App, Role, UnknownScopeError, User, format_scopes, parse_scope_list
from camgate.oauth.redirect_uris import InvalidRedirectURIError, check_registrable
from camgate.passwords import hash_password
from camgate.store import accounts, apps, audit, grants, personal_tokens, sessions
from camgate.tokens import TokenKind, display_prefix, hash_token, mint, new_client_id

MAX_NAME = 100
MAX_DESCRIPTION = 1000
MAX_REDIRECT_URIS = 20


class ValidationError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_name(value: str, field: str = "name", what: str = "name") -> str:
    value = value.strip()
    if not value:
        raise ValidationError(field, f"The {what} must not be empty.")
    if len(value) > MAX_NAME:
        raise ValidationError(field, f"The {what} must be at most {MAX_NAME} characters.")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValidationError(field, f"The {what} must not contain control characters.")
    return value


def check_scopes(raw: str | Iterable[str], field: str = "scope") -> frozenset[str]:
    try:
        return parse_scope_list(raw)
    except UnknownScopeError as exc:
        raise ValidationError(field, f"Unknown right {exc.args[0]!r}.") from None


def check_redirect_uris(uris: Sequence[str]) -> list[str]:
    cleaned = [u.strip() for u in uris if u.strip()]
    if not cleaned:
        raise ValidationError("redirect_uris", "Give at least one redirect URL.")
    if len(cleaned) > MAX_REDIRECT_URIS:
        raise ValidationError("redirect_uris", f"At most {MAX_REDIRECT_URIS} redirect URLs.")
    for uri in cleaned:
        try:
            check_registrable(uri)
        except InvalidRedirectURIError as exc:
            raise ValidationError("redirect_uris", f"{exc}.") from None
    return list(dict.fromkeys(cleaned))


def check_email(email: str) -> str:
    email = email.strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise ValidationError("email", f"{email!r} is not a valid email address.")
    return email


def check_password(password: str) -> str:
    if len(password) < 8:
        raise ValidationError("password", "The password must be at least 8 characters.")
    if len(password) > 1024:
        raise ValidationError("password", "The password must be at most 1024 characters.")
    return password


async def create_user(
    conn: AsyncConnection,
    *,
    provider_id: int,
    organization_id: int,
    email: str,
    password: str,
    role: Role,
    rights: Iterable[str] = (),
    camera_ids: Iterable[int] = (),
) -> User:
    return await accounts.add_user(
        conn,
        provider_id=provider_id,
        organization_id=organization_id,
        email=check_email(email),
        password_hash=hash_password(check_password(password)),
        role=role,
        rights=rights,
        camera_ids=camera_ids,
    )


@dataclass(frozen=True, slots=True)
class NewApp:
    app: App
    client_secret: str  # shown once, never stored


async def create_app(
    conn: AsyncConnection,
    *,
    owner: User,
    name: str,
    description: str,
    redirect_uris: Sequence[str],
    require_pkce: bool,
    ip: str | None = None,
) -> NewApp:
    if owner.role is not Role.FULL:
        raise ValidationError("owner", "Only full-access accounts can create OAuth2 applications.")
    name = check_name(name)
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError("description", f"The description must be at most {MAX_DESCRIPTION} characters.")
    uris = check_redirect_uris(redirect_uris)
    secret = mint(TokenKind.CLIENT_SECRET)
    app = await apps.add_app(
        conn,
        provider_id=owner.provider_id,
        owner_id=owner.id,
        client_id=new_client_id(),
        client_secret_hash=hash_token(secret),
        name=name,
        description=description,
        redirect_uris=uris,
        require_pkce=require_pkce,
    )
    await audit.record(
        conn,
        provider_id=owner.provider_id,
        action="app.create",
        user_id=owner.id,
        organization_id=owner.organization_id,
        actor=owner.email,
        ip=ip,
        detail={"client_id": app.client_id, "app": app.name},
    )
    return NewApp(app, secret)


async def rotate_client_secret(conn: AsyncConnection, app: App, *, actor: User, ip: str | None = None) -> str:
    secret = mint(TokenKind.CLIENT_SECRET)
    await apps.set_client_secret_hash(conn, app.id, hash_token(secret))
    await audit.record(
        conn,
        provider_id=app.provider_id,
        action="app.rotate_secret",
        user_id=actor.id,
        organization_id=actor.organization_id,
        actor=actor.email,
        ip=ip,
        detail={"client_id": app.client_id},
    )
    return secret


@dataclass(frozen=True, slots=True)
class NewPersonalToken:
    id: int
    token: str  # shown once, never stored
    name: str
    scopes: frozenset[str]
    expires_at: datetime | None


async def create_personal_token(
    conn: AsyncConnection,
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None,
    ip: str | None = None,
    via: str = "portal",
) -> NewPersonalToken:
    if user.role is not Role.FULL:
        raise ValidationError("user", "Only full-access accounts can create API tokens.")
    name = check_name(name)
    chosen = check_scopes(scopes)
    if not chosen:
        raise ValidationError("scope", "Choose at least one right.")
    lacking = chosen - user.effective_rights
    if lacking:
        raise ValidationError("scope", f"Your account does not hold the right(s): {format_scopes(lacking)}.")
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise ValidationError("expires", "The expiry date must be in the future.")
    token = mint(TokenKind.PERSONAL)
    token_id = await personal_tokens.add_personal_token(
        conn,
        token_hash=hash_token(token),
        display_prefix=display_prefix(token),
        provider_id=user.provider_id,
        user_id=user.id,
        name=name,
        scopes=chosen,
        now=now,
        expires_at=expires_at,
    )
    await audit.record(
        conn,
        provider_id=user.provider_id,
        action="personal_token.create",
        user_id=user.id,
        organization_id=user.organization_id,
        actor=user.email,
        ip=ip,
        detail={"name": name, "token": display_prefix(token), "scopes": sorted(chosen), "via": via},
    )
    return NewPersonalToken(token_id, token, name, chosen, expires_at)


def expiry_from_seconds(seconds: int | None) -> datetime | None:
    if seconds is None:
        return None
    if seconds <= 0:
        raise ValidationError("expires", "The expiry must be in the future.")
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def revoke_app_for_user(conn: AsyncConnection, *, user: User, app_id: int, ip: str | None = None) -> int:
    """Revoke every grant ``user`` gave ``app_id``: all its tokens die at once. Returns how many."""
    now = datetime.now(UTC)
    ids = await grants.live_grant_ids(conn, user_id=user.id, app_id=app_id)
    for grant_id in ids:
        await grants.revoke_grant(conn, grant_id, now)
    await audit.record(
        conn,
        provider_id=user.provider_id,
        action="grant.revoke",
        user_id=user.id,
        organization_id=user.organization_id,
        actor=user.email,
        ip=ip,
        detail={"app_id": app_id, "grants": len(ids)},
    )
    return len(ids)


async def disable_user(conn: AsyncConnection, *, user_id: int, actor: User, ip: str | None = None) -> None:
    """Disable an account: its sessions end and every token it holds dies."""
    now = datetime.now(UTC)
    await accounts.set_user_active(conn, user_id=user_id, active=False)
    await sessions.delete_sessions_of_user(conn, user_id)
    for grant_id in await grants.live_grant_ids(conn, user_id=user_id):
        await grants.revoke_grant(conn, grant_id, now)
    await personal_tokens.revoke_all_of_user(conn, user_id, now)
    await audit.record(
        conn,
        provider_id=actor.provider_id,
        action="user.disable",
        user_id=actor.id,
        organization_id=actor.organization_id,
        actor=actor.email,
        ip=ip,
        detail={"user_id": user_id},
    )


# --- The portal's operations (the </> API pages); each checks its input and leaves an audit event.
# (DuplicateError is imported where used so this section only appends to the module.)


def check_expiry_date(value: str, today: datetime | None = None) -> datetime:
    """An expiry chosen as a calendar date (YYYY-MM-DD): the token dies at 00:00 UTC that day,
    so the date must be after today."""
    try:
        day = datetime.strptime(value.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError("expires_date", "Give the expiry date as YYYY-MM-DD.") from None
    now = today or datetime.now(UTC)
    if day <= now:
        raise ValidationError("expires_date", "The expiry date must be in the future.")
    if day.year > now.year + 10:
        raise ValidationError("expires_date", "The expiry date must be within ten years.")
    return day


async def create_personal_token_once(
    conn: AsyncConnection,
    *,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None,
    ip: str | None = None,
) -> NewPersonalToken:
    """``create_personal_token``, refusing a second live token of the same name: a resubmitted
    form (double click, reload of the POST) must not silently mint a duplicate."""
    clean = check_name(name)
    now = datetime.now(UTC)
    for existing in await personal_tokens.personal_tokens_of(conn, user.id):
        live = existing.revoked_at is None and (existing.expires_at is None or existing.expires_at > now)
        if live and existing.name == clean:
            raise ValidationError("name", f"You already have an active token named {clean!r}; choose another name.")
    return await create_personal_token(conn, user=user, name=clean, scopes=scopes, expires_at=expires_at, ip=ip)


async def revoke_personal_token_of(conn: AsyncConnection, *, user: User, token_id: int, ip: str | None = None) -> bool:
    """Revoke one of ``user``'s own tokens; False if it is not theirs or already revoked."""
    done = await personal_tokens.revoke_personal_token(conn, token_id, user_id=user.id, now=datetime.now(UTC))
    if done:
        await audit.record(
            conn,
            provider_id=user.provider_id,
            action="personal_token.revoke",
            user_id=user.id,
            organization_id=user.organization_id,
            actor=user.email,
            ip=ip,
            detail={"token_id": token_id},
        )
    return done


async def update_app_settings(
    conn: AsyncConnection,
    app: App,
    *,
    actor: User,
    name: str,
    description: str,
    redirect_uris: Sequence[str],
    require_pkce: bool,
    ip: str | None = None,
) -> None:
    """Change an app's name, description, redirect URLs and PKCE flag, checked as at creation."""
    name = check_name(name)
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError("description", f"The description must be at most {MAX_DESCRIPTION} characters.")
    uris = check_redirect_uris(redirect_uris)
    from camgate.store.providers import DuplicateError

    try:
        await apps.update_app(
            conn, app.id, name=name, description=description, redirect_uris=uris, require_pkce=require_pkce
        )
    except DuplicateError:
        raise ValidationError("name", f"You already have an application named {name!r}.") from None
    await audit.record(
        conn,
        provider_id=app.provider_id,
        action="app.update",
        user_id=actor.id,
        organization_id=actor.organization_id,
        actor=actor.email,
        ip=ip,
        detail={"client_id": app.client_id, "app": name, "require_pkce": require_pkce},
    )


async def delete_app_of_owner(conn: AsyncConnection, app: App, *, actor: User, ip: str | None = None) -> None:
    """Delete an app; its codes, grants and tokens go with it (ON DELETE CASCADE)."""
    await apps.delete_app(conn, app.id)
    await audit.record(
        conn,
        provider_id=app.provider_id,
        action="app.delete",
        user_id=actor.id,
        organization_id=actor.organization_id,
        actor=actor.email,
        ip=ip,
        detail={"client_id": app.client_id, "app": app.name},
    )


async def check_guest_cameras(conn: AsyncConnection, organization_id: int, raw_ids: Iterable[str]) -> list[int]:
    """Camera ids from a form: each must be a camera of the owner's organization."""
    own = {cam_id for cam_id, _ in await accounts.organization_cameras(conn, organization_id)}
    chosen: list[int] = []
    for raw in raw_ids:
        if not raw.isdigit() or int(raw) not in own:
            raise ValidationError("cameras", "Choose cameras of your organization only.")
        chosen.append(int(raw))
    return list(dict.fromkeys(chosen))


async def add_guest(
    conn: AsyncConnection,
    *,
    owner: User,
    email: str,
    password: str,
    rights: Iterable[str],
    camera_ids: Iterable[int],
    ip: str | None = None,
) -> User:
    """An owner adds a guest account to their organization."""
    if owner.role is not Role.FULL:
        raise ValidationError("owner", "Only full-access accounts can add guests.")
    chosen = check_scopes(rights, field="rights")
    from camgate.store.providers import DuplicateError

    try:
        guest = await create_user(
            conn,
            provider_id=owner.provider_id,
            organization_id=owner.organization_id,
            email=email,
            password=password,
            role=Role.GUEST,
            rights=chosen,
            camera_ids=camera_ids,
        )
    except DuplicateError:
        raise ValidationError("email", f"An account with the email {email.strip()!r} already exists.") from None
    await audit.record(
        conn,
        provider_id=owner.provider_id,
        action="guest.create",
        user_id=owner.id,
        organization_id=owner.organization_id,
        actor=owner.email,
        ip=ip,
        detail={"guest": guest.email, "rights": sorted(chosen)},
    )
    return guest


async def set_guest_rights(
    conn: AsyncConnection,
    guest: User,
    *,
    actor: User,
    rights: Iterable[str],
    camera_ids: Iterable[int],
    ip: str | None = None,
) -> None:
    chosen = check_scopes(rights, field="rights")
    cams = list(camera_ids)
    await accounts.set_guest_access(conn, user_id=guest.id, rights=chosen, camera_ids=cams)
    await audit.record(
        conn,
        provider_id=actor.provider_id,
        action="guest.update",
        user_id=actor.id,
        organization_id=actor.organization_id,
        actor=actor.email,
        ip=ip,
        detail={"guest": guest.email, "rights": sorted(chosen), "cameras": len(cams)},
    )


async def enable_user(conn: AsyncConnection, *, user_id: int, actor: User, ip: str | None = None) -> None:
    """Let a disabled account log in again. The tokens it held stay revoked: access given before
    the account was disabled is not silently given back."""
    await accounts.set_user_active(conn, user_id=user_id, active=True)
    await audit.record(
        conn,
        provider_id=actor.provider_id,
        action="user.enable",
        user_id=actor.id,
        organization_id=actor.organization_id,
        actor=actor.email,
        ip=ip,
        detail={"user_id": user_id},
    )
