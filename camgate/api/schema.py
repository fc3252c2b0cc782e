"""The camera API's GraphQL schema: one field (or mutation) per thing a right allows.

=====================  ============================================================================
right                  fields
=====================  ============================================================================
read                   cameraList, camera(id), me, Camera.commandLog, me.commands
write                  renameCamera, updateCameraSettings
liveview               Camera.liveView (signed stream + snapshot URLs)
liveview_ptz           ptzMove, ptzZoom, ptzGotoPreset (the new position comes back; Camera.ptz)
liveview_light         setLight
liveview_audioclip     playAudioClip
audiotransmit          startTalkback (a signed upload URL)
recordings             recordings, Camera.recordings, Recording.downloadUrl
recordings_delete      deleteRecording
events                 events, Camera.events (type/time/camera filters, cursor pagination)
=====================  ============================================================================

Every resolver starts with ``require_right`` (token scopes and the user's rights) and reaches
cameras only through the request's ``Viewer`` (a guest's own list), see ``api.permissions``.
Fields on an object already reached (a camera's name, model…) need no further right; fields that
reveal more (its live view, recordings, events, command log) check their own.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from datetime import UTC, datetime
from typing import Any, cast

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import ExecutionContext, Info

from camgate.api import limits
from camgate.api.devices.backend import Command, CommandRefusedError, send_command
from camgate.api.devices.simulated import settings_of
from camgate.api.documents import CheckedDocuments
from camgate.api.permissions import BadInputError, NotFoundError, context_of, parse_id, require_right
from camgate.domain import SCOPES
from camgate.store import accounts
from camgate.store import devices as store

log = logging.getLogger("camgate.api")
MAX_CAMERA_NAME = 100
MAX_EVENT_TYPES = 10
MAX_OFFSET = 10_000


def _utc(value: datetime | None) -> datetime | None:
    """A time argument; one without a zone is taken as UTC (the API speaks UTC throughout)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _page_size(first: int) -> int:
    if not 1 <= first <= limits.MAX_PAGE:
        raise BadInputError(f"first must be between 1 and {limits.MAX_PAGE}", argument="first")
    return first


# --- objects ------------------------------------------------------------------------------------


@strawberry.type(description="Where a PTZ camera points. pan −180…180°, tilt −90…90°, zoom 1…10×.")
class PtzPosition:
    pan: float
    tilt: float
    zoom: float
    preset: int | None = strawberry.field(description="The preset the camera is at, if it moved to one")

    @staticmethod
    def of(state: dict[str, Any]) -> PtzPosition:
        return PtzPosition(
            pan=float(state.get("pan", 0.0)),
            tilt=float(state.get("tilt", 0.0)),
            zoom=float(state.get("zoom", 1.0)),
            preset=state.get("preset"),
        )


@strawberry.type
class Preset:
    number: int
    name: str


@strawberry.type
class CameraSettings:
    resolution: str
    fps: int
    night_mode: bool
    motion_detection: bool


@strawberry.input(description="Only the settings given are changed.")
class CameraSettingsInput:
    resolution: str | None = None
    fps: int | None = None
    night_mode: bool | None = None
    motion_detection: bool | None = None

    def changes(self) -> dict[str, Any]:
        given = {
            "resolution": self.resolution,
            "fps": self.fps,
            "nightMode": self.night_mode,
            "motionDetection": self.motion_detection,
        }
        return {k: v for k, v in given.items() if v is not None}


@strawberry.type(description="Signed URLs that expire within minutes and never contain the token.")
class LiveView:
    stream_url: str = strawberry.field(description="multipart/x-mixed-replace PNG frames (plays in an <img>)")
    stream_format: str
    snapshot_url: str = strawberry.field(description="A PNG image of what the camera sees now")
    expires_at: datetime


@strawberry.type
class TalkbackSession:
    session_id: str
    upload_url: str = strawberry.field(description="POST audio here (application/octet-stream, ≤ 256 KiB a request)")
    expires_at: datetime


@strawberry.type
class AudioClipPlayback:
    camera_id: strawberry.ID
    clip: str


@strawberry.type(description="One command sent to a camera: who sent it, with which token, what and when.")
class DeviceCommand:
    id: strawberry.ID
    camera_id: strawberry.ID
    camera_name: str
    command: str
    args: JSON
    at: datetime
    user_email: str | None
    token_kind: str = strawberry.field(description="personal or access (OAuth2)")
    token_prefix: str = strawberry.field(description="The token's display prefix, never the token")

    @staticmethod
    def of(row: store.DeviceCommand) -> DeviceCommand:
        return DeviceCommand(
            id=strawberry.ID(str(row.id)),
            camera_id=strawberry.ID(str(row.camera_id)),
            camera_name=row.camera_name,
            command=row.command,
            args=cast(JSON, row.args),
            at=row.created_at,
            user_email=row.user_email,
            token_kind=row.token_kind,
            token_prefix=row.token_prefix,
        )


@strawberry.type
class Recording:
    row: strawberry.Private[store.Recording]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def camera_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.camera_id))

    @strawberry.field
    def started_at(self) -> datetime:
        return self.row.started_at

    @strawberry.field
    def ended_at(self) -> datetime:
        return self.row.ended_at

    @strawberry.field(description="Bytes (a Float: GraphQL's Int stops at 2³¹)")
    def size_bytes(self) -> float:
        return float(self.row.size_bytes)

    @strawberry.field(description="A signed download URL that expires within minutes")
    def download_url(self, info: Info) -> str:
        return require_right(info, "recordings").media.recording(self.row.id).url


@strawberry.type
class RecordingPage:
    total_count: int
    items: list[Recording]


@strawberry.type
class Event:
    id: strawberry.ID
    camera_id: strawberry.ID
    type: str
    occurred_at: datetime


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page")


@strawberry.type
class EventPage:
    items: list[Event]
    page_info: PageInfo


def _cursor(event: store.Event) -> str:
    return base64.urlsafe_b64encode(f"{event.occurred_at.isoformat()}|{event.id}".encode()).decode()


def _parse_cursor(raw: str) -> tuple[datetime, int]:
    try:
        at, _, event_id = base64.urlsafe_b64decode(raw.encode("ascii")).decode().partition("|")
        return _utc(datetime.fromisoformat(at)) or datetime.now(UTC), int(event_id)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadInputError("after is not a cursor given by this API", argument="after") from None


async def _recordings(
    info: Info, camera_id: int | None, since: datetime | None, until: datetime | None, first: int, offset: int
) -> RecordingPage:
    ctx = require_right(info, "recordings")
    if not 0 <= offset <= MAX_OFFSET:
        raise BadInputError(f"offset must be between 0 and {MAX_OFFSET}", argument="offset")
    async with ctx.db.read() as conn:
        total, rows = await store.list_recordings(
            conn,
            ctx.viewer,
            camera_id=camera_id,
            since=_utc(since),
            until=_utc(until),
            limit=_page_size(first),
            offset=offset,
        )
    return RecordingPage(total_count=total, items=[Recording(row=r) for r in rows])


async def _events(
    info: Info,
    camera_id: int | None,
    types: list[str] | None,
    since: datetime | None,
    until: datetime | None,
    first: int,
    after: str | None,
) -> EventPage:
    ctx = require_right(info, "events")
    if types is not None and len(types) > MAX_EVENT_TYPES:
        raise BadInputError(f"at most {MAX_EVENT_TYPES} event types at once", argument="types")
    size = _page_size(first)
    async with ctx.db.read() as conn:
        rows = await store.list_events(
            conn,
            ctx.viewer,
            camera_id=camera_id,
            types=types,
            since=_utc(since),
            until=_utc(until),
            before=_parse_cursor(after) if after else None,
            limit=size + 1,  # one more than asked: tells whether there is a next page
        )
    page = rows[:size]
    return EventPage(
        items=[
            Event(
                id=strawberry.ID(str(e.id)),
                camera_id=strawberry.ID(str(e.camera_id)),
                type=e.type,
                occurred_at=e.occurred_at,
            )
            for e in page
        ],
        page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=_cursor(page[-1]) if page else None),
    )


@strawberry.type
class Camera:
    record: strawberry.Private[store.Camera]
    # Plain values, not resolvers: graphql-core reads them as attributes, where a Strawberry
    # resolver costs an ``Info`` and an argument parse per camera per field (issue 7's profile).
    id: strawberry.ID
    name: str
    model: str
    online: bool

    @staticmethod
    def of(record: store.Camera) -> Camera:
        return Camera(
            record=record, id=strawberry.ID(str(record.id)), name=record.name, model=record.model, online=record.online
        )

    @strawberry.field
    def settings(self) -> CameraSettings:
        s = settings_of(self.record.state)
        return CameraSettings(
            resolution=str(s["resolution"]),
            fps=int(s["fps"]),
            night_mode=bool(s["nightMode"]),
            motion_detection=bool(s["motionDetection"]),
        )

    @strawberry.field
    def ptz(self) -> PtzPosition:
        return PtzPosition.of(self.record.state)

    @strawberry.field(description="Whether the camera's light is on")
    def light(self) -> bool:
        return bool(self.record.state.get("light", False))

    @strawberry.field
    def presets(self, info: Info) -> list[Preset]:
        return [Preset(number=n, name=p[0]) for n, p in context_of(info).backend.presets().items()]

    @strawberry.field
    def audio_clips(self, info: Info) -> list[str]:
        return list(context_of(info).backend.audio_clips())

    @strawberry.field(description="Needs liveview")
    def live_view(self, info: Info) -> LiveView | None:
        media = require_right(info, "liveview").media
        stream, still = media.live(self.record.id), media.snapshot(self.record.id)
        return LiveView(
            stream_url=stream.url,
            stream_format="multipart/x-mixed-replace; boundary=camgateframe (PNG frames)",
            snapshot_url=still.url,
            expires_at=min(stream.expires_at, still.expires_at),
        )

    @strawberry.field(description="Needs recordings")
    async def recordings(
        self, info: Info, since: datetime | None = None, until: datetime | None = None, first: int = 20, offset: int = 0
    ) -> RecordingPage | None:
        return await _recordings(info, self.record.id, since, until, first, offset)

    @strawberry.field(description="Needs events")
    async def events(
        self,
        info: Info,
        types: list[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> EventPage | None:
        return await _events(info, self.record.id, types, since, until, first, after)

    @strawberry.field(description="The newest commands sent to this camera (needs read)")
    async def command_log(self, info: Info, first: int = 20) -> list[DeviceCommand] | None:
        ctx = require_right(info, "read")
        async with ctx.db.read() as conn:
            rows = await store.list_commands(conn, ctx.viewer, camera_id=self.record.id, limit=_page_size(first))
        return [DeviceCommand.of(r) for r in rows]


@strawberry.type
class Organization:
    id: strawberry.ID
    name: str


@strawberry.type(description="The token this request was made with")
class TokenInfo:
    kind: str = strawberry.field(description="personal or access (OAuth2)")
    display_prefix: str
    scopes: list[str]
    expires_at: datetime | None
    client_id: str | None = strawberry.field(description="The OAuth2 app, for access tokens")


@strawberry.type
class Me:
    email: str
    role: str
    rights: list[str] = strawberry.field(description="The account's own rights (a full account has all ten)")
    token: TokenInfo

    @strawberry.field
    async def organization(self, info: Info) -> Organization:
        ctx = context_of(info)
        org_id = ctx.principal.user.organization_id
        async with ctx.db.read() as conn:
            name = await accounts.organization_name(conn, org_id)
        return Organization(id=strawberry.ID(str(org_id)), name=name)

    @strawberry.field(description="The newest commands this account sent (needs read)")
    async def commands(self, info: Info, first: int = 20) -> list[DeviceCommand] | None:
        ctx = require_right(info, "read")
        async with ctx.db.read() as conn:
            rows = await store.list_commands(conn, ctx.viewer, user_id=ctx.principal.user.id, limit=_page_size(first))
        return [DeviceCommand.of(r) for r in rows]


# --- the root types -----------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="The cameras you may see (needs read)")
    async def camera_list(self, info: Info) -> list[Camera] | None:
        ctx = require_right(info, "read")
        async with ctx.db.read() as conn:
            return [Camera.of(c) for c in await store.list_cameras(conn, ctx.viewer)]

    @strawberry.field(description="One camera, or null if there is none with this id that you may see (needs read)")
    async def camera(self, info: Info, id: strawberry.ID) -> Camera | None:
        ctx = require_right(info, "read")
        if not str(id).isdigit() or len(str(id)) > 18:
            return None
        async with ctx.db.read() as conn:
            found = await store.find_camera(conn, ctx.viewer, int(id))
        return Camera.of(found) if found is not None else None

    @strawberry.field(description="Your account and this token (needs read)")
    def me(self, info: Info) -> Me | None:
        principal = require_right(info, "read").principal
        user = principal.user
        return Me(
            email=user.email,
            role=user.role.value,
            rights=[s for s in SCOPES if s in user.effective_rights],
            token=TokenInfo(
                kind=principal.kind,
                display_prefix=principal.display_prefix,
                scopes=[s for s in SCOPES if s in principal.scopes],
                expires_at=principal.expires_at,
                client_id=principal.client_id,
            ),
        )

    @strawberry.field(description="Recordings, newest first, overlapping [since, until) (needs recordings)")
    async def recordings(
        self,
        info: Info,
        camera_id: strawberry.ID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 20,
        offset: int = 0,
    ) -> RecordingPage | None:
        cam = parse_id(str(camera_id), "camera") if camera_id is not None else None
        return await _recordings(info, cam, since, until, first, offset)

    @strawberry.field(description="Events, newest first, in [since, until) (needs events)")
    async def events(
        self,
        info: Info,
        camera_id: strawberry.ID | None = None,
        types: list[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> EventPage | None:
        cam = parse_id(str(camera_id), "camera") if camera_id is not None else None
        return await _events(info, cam, types, since, until, first, after)


async def _command(info: Info, right: str, camera_id: strawberry.ID, command: Command) -> store.Camera:
    """Check the right, then send the command through the device layer (which logs it)."""
    ctx = require_right(info, right)
    cam = parse_id(str(camera_id), "camera")
    try:
        camera = await send_command(ctx.db, ctx.backend, ctx.viewer, ctx.principal, cam, command, ctx.now)
    except CommandRefusedError as exc:
        raise BadInputError(str(exc)) from None
    except store.DuplicateNameError:
        raise BadInputError("another camera of the organization already has this name", argument="name") from None
    if camera is None:
        raise NotFoundError("camera")
    return camera


def _camera_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > MAX_CAMERA_NAME or any(ord(c) < 32 or ord(c) == 127 for c in cleaned):
        raise BadInputError(f"a camera name is 1 to {MAX_CAMERA_NAME} printable characters", argument="name")
    return cleaned


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Rename a camera (needs write)")
    async def rename_camera(self, info: Info, id: strawberry.ID, name: str) -> Camera | None:
        require_right(info, "write")
        return Camera.of(await _command(info, "write", id, Command("rename", {"name": _camera_name(name)})))

    @strawberry.mutation(description="Change a camera's settings (needs write)")
    async def update_camera_settings(
        self, info: Info, id: strawberry.ID, settings: CameraSettingsInput
    ) -> Camera | None:
        command = Command("update_settings", {"settings": settings.changes()})
        return Camera.of(await _command(info, "write", id, command))

    @strawberry.mutation(description="Turn (relative degrees) a PTZ camera (needs liveview_ptz)")
    async def ptz_move(
        self, info: Info, camera_id: strawberry.ID, pan: float = 0.0, tilt: float = 0.0
    ) -> PtzPosition | None:
        camera = await _command(info, "liveview_ptz", camera_id, Command("ptz_move", {"pan": pan, "tilt": tilt}))
        return PtzPosition.of(camera.state)

    @strawberry.mutation(description="Zoom a PTZ camera to 1…10× (needs liveview_ptz)")
    async def ptz_zoom(self, info: Info, camera_id: strawberry.ID, zoom: float) -> PtzPosition | None:
        camera = await _command(info, "liveview_ptz", camera_id, Command("ptz_zoom", {"zoom": zoom}))
        return PtzPosition.of(camera.state)

    @strawberry.mutation(description="Send a PTZ camera to a preset (needs liveview_ptz)")
    async def ptz_goto_preset(self, info: Info, camera_id: strawberry.ID, preset: int) -> PtzPosition | None:
        camera = await _command(info, "liveview_ptz", camera_id, Command("ptz_goto_preset", {"preset": preset}))
        return PtzPosition.of(camera.state)

    @strawberry.mutation(description="Switch a camera's light on or off; the new state back (needs liveview_light)")
    async def set_light(self, info: Info, camera_id: strawberry.ID, on: bool) -> bool | None:
        camera = await _command(info, "liveview_light", camera_id, Command("set_light", {"on": on}))
        return bool(camera.state.get("light"))

    @strawberry.mutation(description="Play a named audio clip on a camera (needs liveview_audioclip)")
    async def play_audio_clip(self, info: Info, camera_id: strawberry.ID, clip: str) -> AudioClipPlayback | None:
        camera = await _command(info, "liveview_audioclip", camera_id, Command("play_audio_clip", {"clip": clip}))
        return AudioClipPlayback(camera_id=strawberry.ID(str(camera.id)), clip=clip)

    @strawberry.mutation(description="Open a talk-back session: a signed URL to send audio to (needs audiotransmit)")
    async def start_talkback(self, info: Info, camera_id: strawberry.ID) -> TalkbackSession | None:
        session = secrets.token_urlsafe(12)
        camera = await _command(info, "audiotransmit", camera_id, Command("start_talkback", {"session": session}))
        url = context_of(info).media.talkback(camera.id, session)
        return TalkbackSession(session_id=session, upload_url=url.url, expires_at=url.expires_at)

    @strawberry.mutation(description="Delete a recording; its id back (needs recordings_delete)")
    async def delete_recording(self, info: Info, id: strawberry.ID) -> strawberry.ID | None:
        ctx = require_right(info, "recordings_delete")
        recording_id = parse_id(str(id), "recording")
        async with ctx.db.transaction() as conn:
            deleted = await store.delete_recording(conn, ctx.viewer, recording_id)
        if deleted is None:
            raise NotFoundError("recording")
        return strawberry.ID(str(deleted.id))


class ApiSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Our own errors (FORBIDDEN, NOT_FOUND, validation…) are the client's business, not the
        # log's; only unexpected exceptions are logged (``api.endpoint`` masks them for the client).
        for error in errors:
            if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
                log.error(
                    "unexpected error in the API: %s",
                    type(error.original_error).__name__,
                    exc_info=error.original_error,
                )


schema = ApiSchema(query=Query, mutation=Mutation, extensions=[CheckedDocuments])
