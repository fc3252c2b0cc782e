"""Nothing secret in the logs, and no 500 for hostile credentials (issue 3, "Bad input")."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from tests.factories import World
from tests.flows import authorization_code
from tests.support import LiveServer


def basic(raw: bytes) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(raw).decode()}


def test_hostile_basic_credentials_are_refused_cleanly(server: LiveServer, world: World) -> None:
    data = {"grant_type": "authorization_code", "code": "x"}
    for raw in (
        b"a\x00b:secret",
        b"\xff\xfe:secret",
        b"no-colon",
        b"id:" + b"s" * 5000,
        b"%00:%0d%0a",
        b"x" * 5000 + b":s",
    ):
        for path in ("/oauth2/token", "/oauth2/introspect", "/oauth2/revoke"):
            answer = httpx.post(f"{server.url}{path}", data={**data, "token": "t"}, headers=basic(raw))
            assert answer.status_code in (400, 401), (path, raw[:20], answer.status_code, answer.text)
            assert answer.json()["error"] in ("invalid_request", "invalid_client")


def test_hostile_client_ids_are_refused_cleanly(server: LiveServer, world: World) -> None:
    for client_id in ("x" * 4096, "ž" * 300, "a'; DROP TABLE users; --"):
        answer = httpx.post(
            f"{server.url}/oauth2/token",
            data={"grant_type": "authorization_code", "code": "x", "client_id": client_id, "client_secret": "s"},
        )
        assert answer.status_code == 401, answer.text
        page = httpx.get(f"{server.url}/oauth2/auth", params={"response_type": "code", "client_id": client_id})
        assert page.status_code == 400


def test_secrets_and_tokens_never_reach_the_log(
    server: LiveServer, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = world.a.app
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri, "state": "s"}
    code = authorization_code(server.url, world.a.owner.email, world.a.password, params)["code"]
    token_url = f"{server.url}/oauth2/token"
    # the document's form: everything in the query string
    good = httpx.post(
        f"{token_url}?client_id={app.client_id}&client_secret={app.client_secret}"
        f"&grant_type=authorization_code&code={code}&redirect_uri={app.redirect_uri}"
    ).json()
    replay = httpx.post(
        f"{token_url}?client_id={app.client_id}&client_secret={app.client_secret}"
        f"&grant_type=authorization_code&code={code}&redirect_uri={app.redirect_uri}"
    )
    assert replay.status_code == 400
    wrong = httpx.post(
        token_url,
        params={
            "client_id": app.client_id,
            "client_secret": "cgs_TopSecretGuess",
            "grant_type": "refresh_token",
            "refresh_token": good["refresh_token"],
        },
    )
    assert wrong.status_code == 401
    httpx.post(f"{server.url}/oauth2/revoke?access_token={good['access_token']}")
    secrets = [
        app.client_secret,
        "cgs_TopSecretGuess",
        code,
        good["access_token"],
        good["refresh_token"],
        world.a.password,
    ]
    # Everything the server side logged (the test's own httpx client logs its URLs: not ours).
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert server_side, "the capture saw nothing: the check would be vacuous"
    text = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in server_side)
    for secret in secrets:
        assert secret not in text
        # nor in any error description the client saw
        assert secret not in replay.text and secret not in wrong.text
