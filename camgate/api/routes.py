"""Routes of the camera API (filled in by the API issue)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
