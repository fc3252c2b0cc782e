"""GraphQL resource exhaustion: depth, alias and batch flooding, fragment bombs, huge documents.

RFC 6819 §4.4.1.11 / §5.1.x (denial of service on the resource server), OWASP GraphQL cheat sheet
("query depth and amount limiting", "batching attacks"). Every flood is refused with a 4xx and a
GraphQL-shaped error, and never a 5xx; the server answers a normal query right afterwards.
"""

from __future__ import annotations

import httpx
import pytest

from tests.factories import make_personal_token
from tests.security.conftest import Shared
from tests.support import in_transaction

NESTED = "{ me { " * 30 + "email" + " }" * 30
ALIASES = "{ " + " ".join(f"a{i}: cameraList {{ name }}" for i in range(500)) + " }"
FRAGMENT_BOMB = (
    "query { ...F0 } "
    + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
    + " fragment F30 on Query { cameraList { name } }"
)
HUGE = "{ " + "cameraList { name } " * 5000 + "}"
INTROSPECTION_FANOUT = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("depth", {"query": NESTED}),
        ("aliases", {"query": ALIASES}),
        ("fragment-bomb", {"query": FRAGMENT_BOMB}),
        ("huge-document", {"query": HUGE}),
        ("introspection-fan-out", {"query": INTROSPECTION_FANOUT}),
        ("batch", [{"query": "{cameraList{name}}"}] * 50),
    ],
)
def test_graphql_floods_are_refused(shared: Shared, case: str, payload: object) -> None:
    """RFC 6819 §4.4.1.11 (exhausting resources) applied to the API: each flood is a 4xx with
    {"errors": [...]}, never a 5xx, and the server stays responsive."""
    token = in_transaction(shared.settings, lambda conn: make_personal_token(conn, shared.world.a.owner))
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{shared.server.url}/api/graphql.php"
    answer = httpx.post(url, json=payload, headers=headers, timeout=30)
    assert 400 <= answer.status_code < 500, (case, answer.status_code, answer.text[:300])
    body = answer.json()
    assert body.get("errors"), body
    assert not body.get("data")
    ok = httpx.post(url, json={"query": "{cameraList{name}}"}, headers=headers, timeout=30)
    assert ok.status_code == 200
    assert len(ok.json()["data"]["cameraList"]) == 3
