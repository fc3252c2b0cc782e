"""The simulated device backend: cameras that remember where they point, whether their light is
on and what they were told, and that draw a picture of it.

State lives in ``cameras.state`` (JSON), so every worker process sees the same camera.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from camgate.api.devices.backend import Command, CommandRefusedError
from camgate.api.devices.png import encode_rgb
from camgate.store.devices import Camera

PAN_RANGE = (-180.0, 180.0)
TILT_RANGE = (-90.0, 90.0)
ZOOM_RANGE = (1.0, 10.0)
PRESETS: dict[int, tuple[str, float, float, float]] = {
    1: ("Home", 0.0, 0.0, 1.0),
    2: ("Entrance", -45.0, -10.0, 2.0),
    3: ("Driveway", 60.0, -20.0, 3.0),
    4: ("Sky", 0.0, 45.0, 1.0),
}
AUDIO_CLIPS = ("doorbell", "welcome", "warning", "siren")
RESOLUTIONS = ("640x360", "1280x720", "1920x1080")
DEFAULT_SETTINGS: dict[str, Any] = {"resolution": "1280x720", "fps": 15, "nightMode": False, "motionDetection": True}
SNAPSHOT_SIZE = (320, 180)


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return max(bounds[0], min(bounds[1], value))


def _number(args: Mapping[str, Any], key: str) -> float:
    value = args.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CommandRefusedError(f"{key} must be a finite number")
    return float(value)


def settings_of(state: Mapping[str, Any]) -> dict[str, Any]:
    return {**DEFAULT_SETTINGS, **dict(state.get("settings") or {})}


def check_settings(changes: Mapping[str, Any]) -> None:
    """The settings a camera accepts; the message names the one that is wrong."""
    if "resolution" in changes and changes["resolution"] not in RESOLUTIONS:
        raise CommandRefusedError(f"resolution must be one of {', '.join(RESOLUTIONS)}")
    fps = changes.get("fps")
    if fps is not None and (isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 30):
        raise CommandRefusedError("fps must be a whole number from 1 to 30")
    for flag in ("nightMode", "motionDetection"):
        if flag in changes and not isinstance(changes[flag], bool):
            raise CommandRefusedError(f"{flag} must be true or false")
    unknown = set(changes) - set(DEFAULT_SETTINGS)
    if unknown:
        raise CommandRefusedError(f"unknown setting {sorted(unknown)[0]!r}")


class SimulatedBackend:
    """Implements ``DeviceBackend`` without hardware."""

    async def apply(self, camera: Camera, command: Command) -> dict[str, Any]:
        state = dict(camera.state)
        args = command.args
        if command.name == "ptz_move":
            state["pan"] = _clamp(float(state.get("pan", 0.0)) + _number(args, "pan"), PAN_RANGE)
            state["tilt"] = _clamp(float(state.get("tilt", 0.0)) + _number(args, "tilt"), TILT_RANGE)
            state["preset"] = None
        elif command.name == "ptz_zoom":
            state["zoom"] = _clamp(_number(args, "zoom"), ZOOM_RANGE)
            state["preset"] = None
        elif command.name == "ptz_goto_preset":
            preset = args.get("preset")
            if not isinstance(preset, int) or preset not in PRESETS:
                raise CommandRefusedError(f"unknown preset; the camera has presets {', '.join(map(str, PRESETS))}")
            _name, state["pan"], state["tilt"], state["zoom"] = PRESETS[preset]
            state["preset"] = preset
        elif command.name == "set_light":
            state["light"] = bool(args.get("on"))
        elif command.name == "play_audio_clip":
            if args.get("clip") not in AUDIO_CLIPS:
                raise CommandRefusedError(f"unknown audio clip; the camera has {', '.join(AUDIO_CLIPS)}")
            state["last_clip"] = args["clip"]
        elif command.name == "start_talkback":
            state["talkback_session"] = args.get("session")
        elif command.name == "update_settings":
            changes = dict(args.get("settings") or {})
            check_settings(changes)
            state["settings"] = {**settings_of(state), **changes}
        else:
            raise CommandRefusedError(f"the camera does not know the command {command.name!r}")
        return state

    def snapshot(self, camera: Camera, now: datetime) -> bytes:
        """A picture that differs per camera (its hue), per position (pan/tilt shift the pattern,
        zoom scales it), with the light (brighter) and with time (a bar sweeps across)."""
        width, height = SNAPSHOT_SIZE
        state = camera.state
        hue = zlib.crc32(str(camera.id).encode()) % 360
        base = _hue_rgb(hue)
        pan = float(state.get("pan", 0.0))
        tilt = float(state.get("tilt", 0.0))
        zoom = max(1.0, float(state.get("zoom", 1.0)))
        gain = 1.0 if state.get("light") else 0.6
        sweep = int(now.timestamp() * 20) % width
        period = 40.0 / zoom
        rows = []
        for y in range(height):
            shade = 0.35 + 0.65 * (1 - y / height)
            stripe_y = math.floor((y + tilt) / period) % 2
            row = bytearray()
            for x in range(width):
                stripe = (math.floor((x + pan) / period) + stripe_y) % 2
                k = gain * shade * (0.75 if stripe else 1.0)
                if abs(x - sweep) < 3:
                    row += b"\xff\xff\xff"
                else:
                    row += bytes((int(base[0] * k), int(base[1] * k), int(base[2] * k)))
            rows.append(bytes(row))
        return encode_rgb(width, height, rows)

    def presets(self) -> Mapping[int, tuple[str, float, float, float]]:
        return PRESETS

    def audio_clips(self) -> tuple[str, ...]:
        return AUDIO_CLIPS


def _hue_rgb(hue: int) -> tuple[int, int, int]:
    """A saturated colour of the given hue (HSV with S = V = 1), each channel 0–255."""
    c = 255
    x = int(c * (1 - abs((hue / 60) % 2 - 1)))
    sector = hue // 60
    return [(c, x, 0), (x, c, 0), (0, c, x), (0, x, c), (x, 0, c), (c, 0, x)][sector % 6]
