"""The device layer: every camera command goes through ``DeviceBackend`` (``backend.py``);
camgate ships a simulated backend (``simulated.py``) that keeps state in ``cameras.state``."""

from __future__ import annotations

from camgate.api.devices.backend import DeviceBackend
from camgate.api.devices.simulated import SimulatedBackend

# The backend this process drives (one per process; its state lives in the database).
BACKEND: DeviceBackend = SimulatedBackend()
