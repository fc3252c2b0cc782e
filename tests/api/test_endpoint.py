"""The GraphQL endpoint over HTTP: the document's request, authentication, and bad requests."""

from __future__ import annotations

import json
import subprocess

import httpx

from camgate.config import Settings
from tests.api.helpers import data, gql, token_for
from tests.factories import World
from tests.support import LiveServer


def test_the_documents_exact_request_and_answer(server: LiveServer, world: World, settings: Settings) -> None:
    token = token_for(settings, world.a.owner, "read,write")
    # Oldest camera first (as the document shows "myCamera"), stable on both backends.
    # Exactly as the document shows it (curl's -d, i.e. no JSON content type) and with JSON.
    raw = subprocess.run(
        [
            "curl",
            "-s",
            "-X",
            "POST",
            f"{server.url}/api/graphql.php",
            "-H",
            f"Authorization: Bearer {token}",
            "-d",
            '{"query":"{cameraList{name}}"}',
        ],
        capture_output=True,
        check=True,
        timeout=10,
    ).stdout
    body = json.loads(raw)
    assert body == {"data": {"cameraList": [{"name": "myCamera"}, {"name": "Front door"}, {"name": "Garage"}]}}
    answer = httpx.post(
        f"{server.url}/api/graphql.php",
        content=b'{"query":"{cameraList{name}}"}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.json() == body
    # GET works for queries, on both paths.
    bearer = {"Authorization": f"Bearer {token}"}
    got = httpx.get(f"{server.url}/api/graphql", params={"query": "{cameraList{name}}"}, headers=bearer)
    assert got.json() == body
    assert data(gql(server.url, token, "{cameraList{name}}", path="/api/graphql.php")) == body["data"]
