"""Routes of the camera API: GraphQL (with the document's ``.php`` path), media, the explorer."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from camgate.api import explorer, media
from camgate.api.endpoint import graphql_endpoint

routes: list[BaseRoute] = [
    Route("/api/graphql.php", graphql_endpoint, methods=["GET", "POST"]),
    Route("/api/graphql", graphql_endpoint, methods=["GET", "POST"]),
    *media.routes,
    *explorer.routes,
]
