"""The one interface between the API and the cameras, and the one path every command takes.

A real deployment would put a backend that talks to the devices behind ``DeviceBackend``; the API
only ever calls ``send_command``, which applies the command through the backend, keeps the new
state, and writes the command log entry (who, with which token, what, when) in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from camgate.domain import TokenPrincipal
from camgate.store import devices as store
from camgate.store.database import Database


@dataclass(frozen=True, slots=True)
class Command:
    """What to do to a camera: a name from the catalogue below and its (JSON) arguments."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)


# The commands of the API, and the right each one needs (checked in ``api.permissions``).
COMMAND_RIGHTS: dict[str, str] = {
    "rename": "write",
    "update_settings": "write",
    "ptz_move": "liveview_ptz",
    "ptz_zoom": "liveview_ptz",
    "ptz_goto_preset": "liveview_ptz",
    "set_light": "liveview_light",
    "play_audio_clip": "liveview_audioclip",
    "start_talkback": "audiotransmit",
}


class CommandRefusedError(Exception):
    """The device refused the command (a bad argument, an unknown preset or clip): the message is
    safe to show to the API client."""


class DeviceBackend(Protocol):
    async def apply(self, camera: store.Camera, command: Command) -> dict[str, Any]:
        """The camera's new state after ``command``; raises CommandRefusedError if refused."""
        ...

    def snapshot(self, camera: store.Camera, now: datetime) -> bytes:
        """A PNG image of what the camera sees now."""
        ...

    def presets(self) -> Mapping[int, tuple[str, float, float, float]]:
        """Preset number → (name, pan, tilt, zoom)."""
        ...

    def audio_clips(self) -> tuple[str, ...]:
        """The names of the audio clips a camera can play."""
        ...


async def send_command(
    db: Database,
    backend: DeviceBackend,
    viewer: store.Viewer,
    principal: TokenPrincipal,
    camera_id: int,
    command: Command,
    now: datetime,
) -> store.Camera | None:
    """Apply ``command`` to a camera the viewer may see and log it; None if the camera is hidden or
    does not exist (nothing is applied or logged then). A refused command is not logged either."""
    async with db.transaction() as conn:
        camera = await store.find_camera(conn, viewer, camera_id, for_update=True)
        if camera is None:
            return None
        if command.name == "rename":
            updated = await store.rename_camera(conn, camera, str(command.args["name"]))
        else:
            updated = await store.save_state(conn, camera, await backend.apply(camera, command))
        await store.log_command(
            conn,
            camera_id=camera.id,
            user_id=principal.user.id,
            token_kind=principal.kind,
            token_prefix=principal.display_prefix,
            command=command.name,
            args=command.args,
            now=now,
        )
        return updated
