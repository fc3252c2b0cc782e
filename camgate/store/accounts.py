"""Organizations, users (owners and guests) and the cameras a guest may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import Role, User, format_scopes, parse_scope_list
from camgate.store.models import cameras, guest_cameras, organizations, users
from camgate.store.providers import DuplicateError, NotFoundError


def normalize_email(email: str) -> str:
    return email.strip().lower()


def user_from_row(row: Row, camera_ids: Iterable[int] | None = None) -> User:
    role = Role(row.role)
    return User(
        id=row.id,
        provider_id=row.provider_id,
        organization_id=row.organization_id,
        email=row.email,
        role=role,
        rights=parse_scope_list(row.rights),
        is_active=row.is_active,
        camera_ids=frozenset(camera_ids) if role is Role.GUEST and camera_ids is not None else None,
    )


async def add_organization(conn: AsyncConnection, *, provider_id: int, name: str) -> int:
    exists = await conn.scalar(
        select(organizations.c.id).where(organizations.c.provider_id == provider_id, organizations.c.name == name)
    )
    if exists is not None:
        raise DuplicateError(f"organization {name!r} already exists")
    return int(
        await conn.scalar(
            insert(organizations)
            .values(provider_id=provider_id, name=name, created_at=datetime.now(UTC))
            .returning(organizations.c.id)
        )
    )


async def organization_id(conn: AsyncConnection, *, provider_id: int, name: str) -> int:
    org = await conn.scalar(
        select(organizations.c.id).where(organizations.c.provider_id == provider_id, organizations.c.name == name)
    )
    if org is None:
        raise NotFoundError(f"no organization {name!r}")
    return int(org)


async def organization_name(conn: AsyncConnection, org_id: int) -> str:
    return str(await conn.scalar(select(organizations.c.name).where(organizations.c.id == org_id)))


async def add_user(
    conn: AsyncConnection,
    *,
    provider_id: int,
    organization_id: int,
    email: str,
    password_hash: str,
    role: Role,
    rights: Iterable[str] = (),
    camera_ids: Iterable[int] = (),
) -> User:
    normalized = normalize_email(email)
    exists = await conn.scalar(
        select(users.c.id).where(users.c.provider_id == provider_id, users.c.email_normalized == normalized)
    )
    if exists is not None:
        raise DuplicateError(f"a user with the email {email!r} already exists")
    row = (
        await conn.execute(
            insert(users)
            .values(
                provider_id=provider_id,
                organization_id=organization_id,
                email=email.strip(),
                email_normalized=normalized,
                password_hash=password_hash,
                role=role.value,
                rights=format_scopes(rights) if role is Role.GUEST else "",
                is_active=True,
                created_at=datetime.now(UTC),
            )
            .returning(*users.c)
        )
    ).one()
    cams = list(camera_ids)
    if role is Role.GUEST and cams:
        await conn.execute(insert(guest_cameras), [{"user_id": row.id, "camera_id": c} for c in cams])
    return user_from_row(row, cams)


async def user_by_email(conn: AsyncConnection, *, provider_id: int, email: str) -> tuple[User, str] | None:
    """The user and its password hash, or None if no user of this provider has that email."""
    row = (
        await conn.execute(
            select(users).where(users.c.provider_id == provider_id, users.c.email_normalized == normalize_email(email))
        )
    ).first()
    if row is None:
        return None
    return await _with_cameras(conn, row), row.password_hash


async def user_by_id(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    return await _with_cameras(conn, row) if row is not None else None


async def _with_cameras(conn: AsyncConnection, row: Row) -> User:
    if row.role != Role.GUEST.value:
        return user_from_row(row)
    ids = (await conn.scalars(select(guest_cameras.c.camera_id).where(guest_cameras.c.user_id == row.id))).all()
    return user_from_row(row, ids)


async def guest_camera_ids(conn: AsyncConnection, user_id: int) -> frozenset[int]:
    ids = await conn.scalars(select(guest_cameras.c.camera_id).where(guest_cameras.c.user_id == user_id))
    return frozenset(ids.all())


async def list_guests(conn: AsyncConnection, organization_id: int) -> list[User]:
    rows = (
        await conn.execute(
            select(users)
            .where(users.c.organization_id == organization_id, users.c.role == Role.GUEST.value)
            .order_by(users.c.email_normalized)
        )
    ).all()
    return [await _with_cameras(conn, r) for r in rows]


async def set_guest_access(
    conn: AsyncConnection, *, user_id: int, rights: Iterable[str], camera_ids: Iterable[int]
) -> None:
    await conn.execute(update(users).where(users.c.id == user_id).values(rights=format_scopes(rights)))
    await conn.execute(delete(guest_cameras).where(guest_cameras.c.user_id == user_id))
    cams = list(camera_ids)
    if cams:
        await conn.execute(insert(guest_cameras), [{"user_id": user_id, "camera_id": c} for c in cams])


async def set_user_active(conn: AsyncConnection, *, user_id: int, active: bool) -> None:
    await conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(is_active=active, disabled_at=None if active else datetime.now(UTC))
    )


async def add_camera(
    conn: AsyncConnection, *, organization_id: int, name: str, model: str = "", online: bool = True
) -> int:
    exists = await conn.scalar(
        select(cameras.c.id).where(cameras.c.organization_id == organization_id, cameras.c.name == name)
    )
    if exists is not None:
        raise DuplicateError(f"camera {name!r} already exists in this organization")
    state = {"pan": 0.0, "tilt": 0.0, "zoom": 1.0, "preset": None, "light": False}
    return int(
        await conn.scalar(
            insert(cameras)
            .values(
                organization_id=organization_id,
                name=name,
                model=model,
                online=online,
                state=state,
                created_at=datetime.now(UTC),
            )
            .returning(cameras.c.id)
        )
    )


async def camera_ids_by_name(conn: AsyncConnection, *, organization_id: int, names: Iterable[str]) -> list[int]:
    wanted = list(names)
    rows = (
        await conn.execute(
            select(cameras.c.id, cameras.c.name).where(
                cameras.c.organization_id == organization_id, cameras.c.name.in_(wanted)
            )
        )
    ).all()
    found = {r.name: r.id for r in rows}
    for name in wanted:
        if name not in found:
            raise NotFoundError(f"no camera {name!r} in this organization")
    return [found[n] for n in wanted]


async def organization_cameras(conn: AsyncConnection, organization_id: int) -> list[tuple[int, str]]:
    rows = await conn.execute(
        select(cameras.c.id, cameras.c.name)
        .where(cameras.c.organization_id == organization_id)
        .order_by(cameras.c.name)
    )
    return [(r.id, r.name) for r in rows]


async def count_users(conn: AsyncConnection, provider_id: int) -> int:
    return int(await conn.scalar(select(func.count()).where(users.c.provider_id == provider_id)) or 0)
