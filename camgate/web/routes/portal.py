"""Routes of the portal's </> API section (filled in by the portal issue)."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
