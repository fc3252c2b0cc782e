"""Helpers for the API tests: mint tokens and call the GraphQL endpoint of a live server."""

from __future__ import annotations

from typing import Any

import httpx

from camgate.config import Settings
from camgate.domain import SCOPES, User
from tests.factories import make_personal_token
from tests.support import in_transaction

ALL_RIGHTS = ",".join(SCOPES)


def token_for(settings: Settings, user: User, scopes: str = "read") -> str:
    return in_transaction(settings, lambda conn: make_personal_token(conn, user, scopes))


def gql(
    base_url: str,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    path: str = "/api/graphql",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return httpx.post(base_url + path, json=body, headers=headers, timeout=10)


def data(response: httpx.Response) -> dict[str, Any]:
    """The ``data`` of an answer that must have no errors at all."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def forbidden_scopes(body: dict[str, Any]) -> dict[str, str]:
    """Path (dotted) → the scope named by each FORBIDDEN error."""
    found = {}
    for error in body.get("errors", []):
        if error.get("extensions", {}).get("code") == "FORBIDDEN":
            found[".".join(map(str, error["path"]))] = error["extensions"]["scope"]
    return found
