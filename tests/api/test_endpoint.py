"""The GraphQL endpoint over HTTP: the document's request, authentication, and bad requests."""

from __future__ import annotations

import json
import subprocess

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from tests.api.helpers import data, gql, oauth_token, token_for
from tests.factories import World
from tests.support import LiveServer, in_transaction


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


def _challenge(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    return response.headers["www-authenticate"]


def test_bad_tokens_are_401_with_a_bearer_challenge(server: LiveServer, world: World, settings: Settings) -> None:
    url = f"{server.url}/api/graphql.php"
    query = {"query": "{cameraList{name}}"}
    # No credentials: RFC 6750 §3.1 — the challenge carries no error code.
    assert _challenge(httpx.post(url, json=query)) == 'Bearer realm="camgate"'
    for header in ("Bearer", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer cgp_not-a-token", "Bearer " + "x" * 5000):
        challenge = _challenge(httpx.post(url, json=query, headers={"Authorization": header}))
        assert challenge.startswith('Bearer realm="camgate", error="invalid_token"'), header
    # A well-formed token that does not exist, and a token of the other provider.
    other = token_for(settings, world.b.owner)
    refused = httpx.post(url, json=query, headers={"Authorization": f"Bearer {other}"})
    assert 'error="invalid_token"' in _challenge(refused)
    assert refused.json()["error"] == "invalid_token"
    assert other not in refused.text
    at_b = httpx.post(
        f"{server.url_for_host('localhost')}/api/graphql", json=query, headers={"Authorization": f"Bearer {other}"}
    )
    assert at_b.status_code == 200
    assert [c["name"] for c in at_b.json()["data"]["cameraList"]] == ["myCamera", "Front door", "Garage"]
    # A token in the URL is refused even when it is valid (RFC 6750 §2.3 is optional; RFC 9700).
    mine = token_for(settings, world.a.owner)
    in_url = httpx.post(f"{url}?access_token={mine}", json=query)
    assert 'error="invalid_request"' in _challenge(in_url)
    assert mine not in in_url.text
    in_get = httpx.get(url, params={"query": "{cameraList{name}}", "access_token": mine})
    assert in_get.status_code == 401


def test_personal_and_oauth_tokens_alike_and_revocation_at_once(
    server: LiveServer, world: World, settings: Settings
) -> None:
    personal = token_for(settings, world.a.owner, "read")
    access = oauth_token(server.url, world.a, world.a.owner.email, "read")
    query = "{ cameraList { name } me { email token { kind displayPrefix scopes } } }"
    by_personal, by_access = data(gql(server.url, personal, query)), data(gql(server.url, access, query))
    assert by_personal["cameraList"] == by_access["cameraList"]
    assert by_personal["me"]["token"] == {"kind": "personal", "displayPrefix": personal[:12], "scopes": ["read"]}
    assert by_access["me"]["token"] == {"kind": "access", "displayPrefix": access[:12], "scopes": ["read"]}
    # Revoked with the document's request: the very next API call is refused.
    assert httpx.post(f"{server.url}/oauth2/revoke?access_token={access}").json()["success"] is True
    assert 'error="invalid_token"' in _challenge(gql(server.url, access, query))
    assert gql(server.url, personal, query).status_code == 200


def test_last_used_is_buffered_and_flushed_at_shutdown(server: LiveServer, world: World, settings: Settings) -> None:
    from sqlalchemy import select

    from camgate.store.models import personal_tokens

    token = token_for(settings, world.a.owner, "read")
    for _ in range(3):
        data(gql(server.url, token, "{ cameraList { id } }"))

    async def last_used(conn: AsyncConnection) -> list[object]:
        return list((await conn.scalars(select(personal_tokens.c.last_used_at))).all())

    server.stop()  # shutdown flushes the buffer in one batch
    assert [when is not None for when in in_transaction(settings, last_used)] == [True]


def _post(server: LiveServer, token: str, content: bytes, ctype: str = "application/json") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": ctype}
    return httpx.post(f"{server.url}/api/graphql", content=content, headers=headers)


def test_bad_requests_get_clear_4xx_never_a_500(server: LiveServer, world: World, settings: Settings) -> None:
    token = token_for(settings, world.a.owner, "read,write")

    def message(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        assert "Traceback" not in response.text
        return str(response.json()["errors"][0]["message"])

    assert "not valid JSON" in message(_post(server, token, b"{nope"), 400)
    assert "not valid JSON" in message(_post(server, token, b"\xff\xfe", "text/plain"), 400)
    assert "JSON object" in message(_post(server, token, b'"query"'), 400)
    assert "batched" in message(_post(server, token, b'[{"query":"{me{email}}"},{"query":"{me{email}}"}]'), 400)
    assert 'no "query"' in message(_post(server, token, b'{"variables":{}}'), 400)
    assert "variables" in message(_post(server, token, b'{"query":"{me{email}}","variables":[1]}'), 400)
    too_big = _post(server, token, b'{"query":"' + b" " * (64 * 1024) + b'{me{email}}"}')
    assert "larger than 65536 bytes" in message(too_big, 413)
    assert "Syntax Error" in message(_post(server, token, b'{"query":"{cameraList{"}'), 400)
    assert "Cannot query field 'nope'" in message(_post(server, token, b'{"query":"{nope}"}'), 400)
    wrong_type = _post(server, token, b'{"query":"{camera(id: {a: 1}){name}}"}')
    assert message(wrong_type, 400).startswith("ID cannot represent")
    bad_variable = _post(
        server, token, b'{"query":"query($f:Int!){events(first:$f){items{id}}}","variables":{"f":"x"}}'
    )
    assert "Variable '$f'" in message(bad_variable, 400)
    # An operationName the document does not hold, or a document of fragments alone (were a 500).
    unknown = _post(server, token, b'{"query":"query A{me{email}}","operationName":"B"}')
    assert message(unknown, 400) == 'the document has no operation named "B" (see "operationName")'
    only_fragment = _post(server, token, b'{"query":"fragment F on Query{me{email}}"}')
    assert message(only_fragment, 400) == "the document has no operation (a query or a mutation) to run"
    # Mutations only with POST; GraphQL itself over GET for queries.
    get = httpx.get(
        f"{server.url}/api/graphql",
        params={"query": 'mutation { renameCamera(id: "1", name: "x") { name } }'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "POST" in message(get, 405)
    assert get.headers["allow"] == "POST"
    assert httpx.put(f"{server.url}/api/graphql", headers={"Authorization": f"Bearer {token}"}).status_code == 405
    # The application/graphql body is the document itself.
    assert _post(server, token, b"{ me { email } }", "application/graphql").json() == {
        "data": {"me": {"email": world.a.owner.email}}
    }
    # Introspection works with a valid token (and, like everything, only with one).
    schema = _post(server, token, b'{"query":"{__schema{queryType{fields{name}}}}"}').json()
    names = {f["name"] for f in schema["data"]["__schema"]["queryType"]["fields"]}
    assert names == {"cameraList", "camera", "me", "recordings", "events"}
    assert httpx.post(f"{server.url}/api/graphql", json={"query": "{__schema{types{name}}}"}).status_code == 401
