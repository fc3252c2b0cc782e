"""Everything the camera API reads and writes: cameras and who may see them, device state,
recordings, events and the device command log.

Every query takes a ``Viewer``: the organization whose cameras are in play and, for a guest, the
user whose ``guest_cameras`` rows narrow them. The narrowing is part of each statement's WHERE
clause, so a camera a viewer may not see is never loaded at all — a hidden camera and a camera that
does not exist give the very same answer (None or an empty list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.store.models import cameras, device_commands, events, guest_cameras, recordings, users


@dataclass(frozen=True, slots=True)
class Viewer:
    """Whose cameras a query may touch: an organization, narrowed for a guest to its own list."""

    organization_id: int
    guest_user_id: int | None = None  # None: a full-access account sees every camera of the org


@dataclass(frozen=True, slots=True)
class Camera:
    id: int
    organization_id: int
    name: str
    model: str
    online: bool
    state: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Recording:
    id: int
    camera_id: int
    started_at: datetime
    ended_at: datetime
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    camera_id: int
    type: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class DeviceCommand:
    id: int
    camera_id: int
    camera_name: str
    user_id: int | None
    user_email: str | None
    token_kind: str
    token_prefix: str
    command: str
    args: dict[str, Any]
    created_at: datetime


class DuplicateNameError(Exception):
    """Another camera of the organization already has this name."""


def visible(viewer: Viewer) -> ColumnElement[bool]:
    """The cameras ``viewer`` may see, as a WHERE clause on ``cameras``."""
    in_org = cameras.c.organization_id == viewer.organization_id
    if viewer.guest_user_id is None:
        return in_org
    mine = select(guest_cameras.c.camera_id).where(guest_cameras.c.user_id == viewer.guest_user_id)
    return and_(in_org, cameras.c.id.in_(mine))


def _camera(row: Row) -> Camera:
    return Camera(
        id=row.id,
        organization_id=row.organization_id,
        name=row.name,
        model=row.model,
        online=row.online,
        state=dict(row.state or {}),
        created_at=row.created_at,
    )


# The camera reads every API request makes, built once with the viewer as bound parameters: building
# a statement and computing its cache key cost more CPU than running it (issue 7's profile), and a
# statement object that is reused keeps its key (SQLAlchemy memoises it), so only binding remains.
# The rule is ``visible``'s, keyed by "is the viewer a guest".
_VISIBLE = {
    False: cameras.c.organization_id == bindparam("viewer_organization_id"),
    True: and_(
        cameras.c.organization_id == bindparam("viewer_organization_id"),
        cameras.c.id.in_(
            select(guest_cameras.c.camera_id).where(guest_cameras.c.user_id == bindparam("viewer_guest_user_id"))
        ),
    ),
}
_LIST_CAMERAS = {guest: select(cameras).where(rule).order_by(cameras.c.id) for guest, rule in _VISIBLE.items()}
_FIND_CAMERA = {
    guest: select(cameras).where(rule, cameras.c.id == bindparam("camera_id")) for guest, rule in _VISIBLE.items()
}


def _viewer_params(viewer: Viewer) -> dict[str, Any]:
    params: dict[str, Any] = {"viewer_organization_id": viewer.organization_id}
    if viewer.guest_user_id is not None:
        params["viewer_guest_user_id"] = viewer.guest_user_id
    return params


async def list_cameras(conn: AsyncConnection, viewer: Viewer) -> list[Camera]:
    query = _LIST_CAMERAS[viewer.guest_user_id is not None]
    return [_camera(r) for r in await conn.execute(query, _viewer_params(viewer))]


async def find_camera(
    conn: AsyncConnection, viewer: Viewer, camera_id: int, *, for_update: bool = False
) -> Camera | None:
    """The camera if ``viewer`` may see it; None if it is hidden or does not exist (the same answer).

    ``for_update`` locks the row (PostgreSQL) so two commands on one camera apply in turn.
    """
    query = _FIND_CAMERA[viewer.guest_user_id is not None]
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query, {**_viewer_params(viewer), "camera_id": camera_id})).first()
    return _camera(row) if row is not None else None


async def camera_by_id(conn: AsyncConnection, camera_id: int) -> Camera | None:
    """For a signed media URL: the signature, not a viewer, vouches for the request."""
    row = (await conn.execute(select(cameras).where(cameras.c.id == camera_id))).first()
    return _camera(row) if row is not None else None


async def rename_camera(conn: AsyncConnection, camera: Camera, name: str) -> Camera:
    taken = await conn.scalar(
        select(cameras.c.id).where(
            cameras.c.organization_id == camera.organization_id, cameras.c.name == name, cameras.c.id != camera.id
        )
    )
    if taken is not None:
        raise DuplicateNameError(name)
    await conn.execute(update(cameras).where(cameras.c.id == camera.id).values(name=name))
    return Camera(camera.id, camera.organization_id, name, camera.model, camera.online, camera.state, camera.created_at)


async def save_state(conn: AsyncConnection, camera: Camera, state: dict[str, Any]) -> Camera:
    await conn.execute(update(cameras).where(cameras.c.id == camera.id).values(state=state))
    return Camera(camera.id, camera.organization_id, camera.name, camera.model, camera.online, state, camera.created_at)


# --- recordings -------------------------------------------------------------------------------


def _recording_filter(
    viewer: Viewer, camera_id: int | None, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [recordings.c.camera_id.in_(select(cameras.c.id).where(visible(viewer)))]
    if camera_id is not None:
        where.append(recordings.c.camera_id == camera_id)
    if since is not None:
        where.append(recordings.c.ended_at >= since)  # overlaps the window, not only starts in it
    if until is not None:
        where.append(recordings.c.started_at < until)
    return where


async def list_recordings(
    conn: AsyncConnection,
    viewer: Viewer,
    *,
    camera_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    offset: int,
) -> tuple[int, list[Recording]]:
    """One page of recordings (newest first) and how many match in all.

    One round trip: the total rides on every row of the page (a window count is computed before
    LIMIT). Only a page past the end (no rows, offset > 0) needs a second statement for the total.
    """
    where = _recording_filter(viewer, camera_id, since, until)
    rows = (
        await conn.execute(
            select(recordings, func.count().over().label("total_matching"))
            .where(*where)
            .order_by(recordings.c.started_at.desc(), recordings.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
    ).all()
    if rows:
        total = int(rows[0].total_matching)
    elif offset > 0:
        total = int(await conn.scalar(select(func.count()).select_from(recordings).where(*where)) or 0)
    else:
        total = 0
    return total, [Recording(r.id, r.camera_id, r.started_at, r.ended_at, r.size_bytes) for r in rows]


async def find_recording(conn: AsyncConnection, viewer: Viewer, recording_id: int) -> Recording | None:
    row = (
        await conn.execute(
            select(recordings).where(*_recording_filter(viewer, None, None, None), recordings.c.id == recording_id)
        )
    ).first()
    return Recording(row.id, row.camera_id, row.started_at, row.ended_at, row.size_bytes) if row else None


async def recording_by_id(conn: AsyncConnection, recording_id: int) -> Recording | None:
    """For a signed download URL: the signature, not a viewer, vouches for the request."""
    row = (await conn.execute(select(recordings).where(recordings.c.id == recording_id))).first()
    return Recording(row.id, row.camera_id, row.started_at, row.ended_at, row.size_bytes) if row else None


async def delete_recording(conn: AsyncConnection, viewer: Viewer, recording_id: int) -> Recording | None:
    """Delete a recording the viewer may see; None (and nothing deleted) otherwise."""
    found = await find_recording(conn, viewer, recording_id)
    if found is not None:
        await conn.execute(delete(recordings).where(recordings.c.id == recording_id))
    return found


# --- events -------------------------------------------------------------------------------------


async def list_events(
    conn: AsyncConnection,
    viewer: Viewer,
    *,
    camera_id: int | None = None,
    types: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: tuple[datetime, int] | None = None,
    limit: int,
) -> list[Event]:
    """Events newest first; ``before`` is a keyset cursor (occurred_at, id) of the last one seen."""
    where: list[ColumnElement[bool]] = [events.c.camera_id.in_(select(cameras.c.id).where(visible(viewer)))]
    if camera_id is not None:
        where.append(events.c.camera_id == camera_id)
    if types:
        where.append(events.c.type.in_(types))
    if since is not None:
        where.append(events.c.occurred_at >= since)
    if until is not None:
        where.append(events.c.occurred_at < until)
    if before is not None:
        at, event_id = before
        where.append(or_(events.c.occurred_at < at, and_(events.c.occurred_at == at, events.c.id < event_id)))
    rows = await conn.execute(
        select(events).where(*where).order_by(events.c.occurred_at.desc(), events.c.id.desc()).limit(limit)
    )
    return [Event(r.id, r.camera_id, r.type, r.occurred_at) for r in rows]


# --- the device command log ---------------------------------------------------------------------


async def log_command(
    conn: AsyncConnection,
    *,
    camera_id: int,
    user_id: int,
    token_kind: str,
    token_prefix: str,
    command: str,
    args: dict[str, Any],
    now: datetime,
) -> None:
    await conn.execute(
        insert(device_commands).values(
            camera_id=camera_id,
            user_id=user_id,
            token_kind=token_kind,
            token_prefix=token_prefix,
            command=command,
            args=args,
            created_at=now,
        )
    )


async def list_commands(
    conn: AsyncConnection,
    viewer: Viewer,
    *,
    camera_id: int | None = None,
    user_id: int | None = None,
    limit: int,
) -> list[DeviceCommand]:
    """The newest commands on cameras the viewer may see, for one camera and/or one user."""
    query = (
        select(device_commands, cameras.c.name.label("camera_name"), users.c.email.label("user_email"))
        .join(cameras, cameras.c.id == device_commands.c.camera_id)
        .outerjoin(users, users.c.id == device_commands.c.user_id)
        .where(visible(viewer))
    )
    if camera_id is not None:
        query = query.where(device_commands.c.camera_id == camera_id)
    if user_id is not None:
        query = query.where(device_commands.c.user_id == user_id)
    if viewer.guest_user_id is not None:
        # A guest sees its own commands only: not who else in the organization did what (their
        # emails and token prefixes are the owner's business).
        query = query.where(device_commands.c.user_id == viewer.guest_user_id)
    rows = await conn.execute(query.order_by(device_commands.c.id.desc()).limit(limit))
    return [
        DeviceCommand(
            id=r.id,
            camera_id=r.camera_id,
            camera_name=r.camera_name,
            user_id=r.user_id,
            user_email=r.user_email,
            token_kind=r.token_kind,
            token_prefix=r.token_prefix,
            command=r.command,
            args=dict(r.args or {}),
            created_at=r.created_at,
        )
        for r in rows
    ]


async def add_recordings(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert recordings (demo and test data): camera_id, started_at, ended_at, size_bytes."""
    if rows:
        await conn.execute(insert(recordings), rows)


async def add_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert events (demo and test data): camera_id, type, occurred_at."""
    if rows:
        await conn.execute(insert(events), rows)
