"""OAuth2 applications (clients) registered by full-access accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import App
from camgate.store.models import grants, oauth_apps, users
from camgate.store.providers import DuplicateError


def app_from_row(row: Row) -> App:
    return App(
        id=row.id,
        provider_id=row.provider_id,
        owner_id=row.owner_id,
        client_id=row.client_id,
        client_secret_hash=row.client_secret_hash,
        name=row.name,
        description=row.description,
        redirect_uris=tuple(row.redirect_uris),
        require_pkce=row.require_pkce,
        refresh_grace_seconds=row.refresh_grace_seconds,
        owner_email=getattr(row, "owner_email", ""),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


_WITH_OWNER = select(oauth_apps, users.c.email.label("owner_email")).join(users, users.c.id == oauth_apps.c.owner_id)


async def add_app(
    conn: AsyncConnection,
    *,
    provider_id: int,
    owner_id: int,
    client_id: str,
    client_secret_hash: str,
    name: str,
    description: str,
    redirect_uris: Sequence[str],
    require_pkce: bool,
) -> App:
    taken = await conn.scalar(
        select(oauth_apps.c.id).where(oauth_apps.c.owner_id == owner_id, oauth_apps.c.name == name)
    )
    if taken is not None:
        raise DuplicateError(f"an application named {name!r} already exists")
    now = datetime.now(UTC)
    app_id = await conn.scalar(
        insert(oauth_apps)
        .values(
            provider_id=provider_id,
            owner_id=owner_id,
            client_id=client_id,
            client_secret_hash=client_secret_hash,
            name=name,
            description=description,
            redirect_uris=list(redirect_uris),
            require_pkce=require_pkce,
            created_at=now,
            updated_at=now,
        )
        .returning(oauth_apps.c.id)
    )
    app = await app_by_id(conn, int(app_id))
    assert app is not None
    return app


async def app_by_client_id(conn: AsyncConnection, *, provider_id: int, client_id: str) -> App | None:
    """The app with this client_id at this provider; None for another provider's app."""
    row = (
        await conn.execute(
            _WITH_OWNER.where(oauth_apps.c.client_id == client_id, oauth_apps.c.provider_id == provider_id)
        )
    ).first()
    return app_from_row(row) if row is not None else None


async def app_by_id(conn: AsyncConnection, app_id: int) -> App | None:
    row = (await conn.execute(_WITH_OWNER.where(oauth_apps.c.id == app_id))).first()
    return app_from_row(row) if row is not None else None


async def apps_of_owner(conn: AsyncConnection, owner_id: int) -> list[App]:
    rows = await conn.execute(_WITH_OWNER.where(oauth_apps.c.owner_id == owner_id).order_by(oauth_apps.c.name))
    return [app_from_row(r) for r in rows.all()]


async def update_app(
    conn: AsyncConnection,
    app_id: int,
    *,
    name: str,
    description: str,
    redirect_uris: Sequence[str],
    require_pkce: bool,
    refresh_grace_seconds: int | None = None,
) -> None:
    owner_id = await conn.scalar(select(oauth_apps.c.owner_id).where(oauth_apps.c.id == app_id))
    taken = await conn.scalar(
        select(oauth_apps.c.id).where(
            oauth_apps.c.owner_id == owner_id, oauth_apps.c.name == name, oauth_apps.c.id != app_id
        )
    )
    if taken is not None:
        raise DuplicateError(f"an application named {name!r} already exists")
    values: dict[str, object] = {
        "name": name,
        "description": description,
        "redirect_uris": list(redirect_uris),
        "require_pkce": require_pkce,
        "updated_at": datetime.now(UTC),
    }
    if refresh_grace_seconds is not None:
        values["refresh_grace_seconds"] = refresh_grace_seconds
    await conn.execute(update(oauth_apps).where(oauth_apps.c.id == app_id).values(**values))


async def set_client_secret_hash(conn: AsyncConnection, app_id: int, secret_hash: str) -> None:
    await conn.execute(
        update(oauth_apps)
        .where(oauth_apps.c.id == app_id)
        .values(client_secret_hash=secret_hash, updated_at=datetime.now(UTC))
    )


async def delete_app(conn: AsyncConnection, app_id: int) -> None:
    """Deleting an app deletes its codes, grants and tokens (ON DELETE CASCADE)."""
    await conn.execute(delete(oauth_apps).where(oauth_apps.c.id == app_id))


async def app_usage(conn: AsyncConnection, app_id: int) -> tuple[int, datetime | None]:
    """How many distinct users hold a live grant of this app, and when it was last used."""
    users_count = await conn.scalar(
        select(func.count(func.distinct(grants.c.user_id))).where(
            grants.c.app_id == app_id, grants.c.revoked_at.is_(None)
        )
    )
    last = await conn.scalar(select(func.max(grants.c.last_used_at)).where(grants.c.app_id == app_id))
    return int(users_count or 0), last
