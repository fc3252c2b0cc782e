"""The simulated device backend and its PNG encoder, without a server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from camgate.api.devices.backend import Command, CommandRefusedError, DeviceBackend
from camgate.api.devices.png import encode_rgb
from camgate.api.devices.simulated import SimulatedBackend
from camgate.api.usage import LastUsedBuffer
from camgate.store.devices import Camera
from tests.api.helpers import principal
from tests.api.test_media import png_size

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def _camera(state: dict[str, Any] | None = None, camera_id: int = 1) -> Camera:
    return Camera(camera_id, 1, "cam", "AXIS", True, state or {"pan": 0.0, "tilt": 0.0, "zoom": 1.0}, NOW)


def _apply(command: str, state: dict[str, Any] | None = None, **args: Any) -> dict[str, Any]:
    backend: DeviceBackend = SimulatedBackend()
    return asyncio.run(backend.apply(_camera(state), Command(command, args)))


def test_ptz_is_clamped_to_the_cameras_range() -> None:
    assert _apply("ptz_move", pan=500, tilt=-500) == {"pan": 180.0, "tilt": -90.0, "zoom": 1.0, "preset": None}
    assert _apply("ptz_zoom", zoom=50)["zoom"] == 10.0
    assert _apply("ptz_goto_preset", preset=3)["preset"] == 3
    for command, args in (
        ("ptz_goto_preset", {"preset": 9}),
        ("ptz_move", {"pan": float("nan")}),
        ("ptz_move", {"pan": True}),
        ("play_audio_clip", {"clip": "../etc/passwd"}),
        ("update_settings", {"settings": {"fps": 0}}),
        ("update_settings", {"settings": {"resolution": "8k"}}),
        ("update_settings", {"settings": {"colour": "red"}}),
        ("self_destruct", {}),
    ):
        with pytest.raises(CommandRefusedError):
            _apply(command, **args)


def test_snapshots_are_real_pngs_that_change_with_camera_state_and_time() -> None:
    backend = SimulatedBackend()
    base = backend.snapshot(_camera(), NOW)
    assert png_size(base) == (320, 180)
    assert backend.snapshot(_camera(camera_id=2), NOW) != base
    assert backend.snapshot(_camera({"pan": 30.0, "light": True}), NOW) != base
    assert backend.snapshot(_camera(), NOW + timedelta(seconds=1)) != base


def test_png_encoder_checks_its_input() -> None:
    assert png_size(encode_rgb(2, 1, [b"\x00\x00\x00\xff\xff\xff"])) == (2, 1)
    with pytest.raises(ValueError):
        encode_rgb(2, 1, [b"\x00"])
    with pytest.raises(ValueError):
        encode_rgb(1, 2, [b"\x00\x00\x00"])


def test_last_used_buffer_keeps_the_newest_time_across_a_failed_write() -> None:
    buffer = LastUsedBuffer()
    buffer.note(principal("access", token_id=7, grant_id=3), NOW)
    buffer.note(principal("personal", token_id=7), NOW)
    taken = buffer.take()
    assert len(buffer) == 0
    assert (taken.access, taken.personal, taken.grant) == ({7: NOW}, {7: NOW}, {3: NOW})
    later = NOW + timedelta(seconds=5)
    buffer.note(principal("access", token_id=7, grant_id=3), later)
    buffer.put_back(taken)
    assert buffer.access == {7: later}
    assert buffer.personal == {7: NOW}
