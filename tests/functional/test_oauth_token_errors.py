"""The token endpoint's bad input and token rules, on a real server (RFC 6749 §5, RFC 7636, RFC 9700).

Every refusal is JSON with an RFC 6749 ``error``, the RFC's status, and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from camgate.config import Settings
from camgate.oauth.params import MAX_BODY_BYTES
from camgate.store.models import authorization_codes
from tests.factories import AppCreds, Tenant, World
from tests.flows import authorization_code, pkce_pair
from tests.support import LiveServer, in_transaction


def code_for(base_url: str, tenant: Tenant, app: AppCreds | None = None, **extra: str) -> str:
    app = app or tenant.app
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": "read,write",
        "state": "x",
        **extra,
    }
    got = authorization_code(base_url, tenant.owner.email, tenant.password, params)
    assert got["iss"] == base_url
    return got["code"]


def exchange_params(app: AppCreds, code: str, *, secret: bool = True) -> dict[str, str]:
    params = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        "client_id": app.client_id,
    }
    if secret:
        params["client_secret"] = app.client_secret
    return params


def post(base_url: str, path: str = "/oauth2/token", **kw: Any) -> httpx.Response:
    return httpx.post(f"{base_url}{path}", **kw)


def refused(answer: httpx.Response, error: str, status: int = 400) -> dict[str, str]:
    assert answer.status_code == status, answer.text
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["error"] == error, body
    assert isinstance(body["error_description"], str)
    return body


def active(server: LiveServer, app: AppCreds, token: str) -> bool:
    answer = post(server.url, "/oauth2/introspect", data={"token": token}, auth=(app.client_id, app.client_secret))
    assert answer.status_code == 200
    return bool(answer.json()["active"])


def test_malformed_token_requests(server: LiveServer, world: World) -> None:
    app = world.a.app
    creds = {"client_id": app.client_id, "client_secret": app.client_secret}
    url = server.url
    refused(post(url, data={}), "invalid_request")
    refused(post(url, data={**creds, "code": "x"}), "invalid_request")  # no grant_type
    refused(post(url, data={**creds, "grant_type": "password"}), "unsupported_grant_type")
    refused(post(url, data={**creds, "grant_type": "client_credentials"}), "unsupported_grant_type")
    refused(post(url, data={**creds, "grant_type": "authorization_code"}), "invalid_request")  # no code
    # repeated: query + body, and twice in the body
    refused(
        post(url, params={"grant_type": "authorization_code"}, data={**creds, "grant_type": "auth_code"}),
        "invalid_request",
    )
    refused(
        post(
            url,
            content=b"grant_type=refresh_token&grant_type=refresh_token",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        "invalid_request",
    )
    form = {"content-type": "application/x-www-form-urlencoded"}
    refused(post(url, content=b"grant_type=authorization_code&code=\xff\xfe", headers=form), "invalid_request")
    refused(post(url, content=b"grant_type=authorization_code&code=%ff", headers=form), "invalid_request")
    refused(post(url, content=b"grant_type=authorization_code&code=a%00b", headers=form), "invalid_request")
    refused(post(url, content=b"grant_type=authorization_code&code=a%0d%0ab", headers=form), "invalid_request")
    refused(post(url, content=b"grant_type=x&state=" + b"a" * MAX_BODY_BYTES, headers=form), "invalid_request")
    refused(post(url, json={"grant_type": "authorization_code"}), "invalid_request")  # not a form
    refused(
        post(
            url, data={"grant_type": "authorization_code", "code": "x"}, headers={"authorization": "Basic !!!notbase64"}
        ),
        "invalid_request",
    )
    # an unknown client is invalid_client; GET is not a token request
    refused(
        post(url, data={"grant_type": "authorization_code", "code": "x", "client_id": "nope"}), "invalid_client", 401
    )
    assert httpx.get(f"{url}/oauth2/token").status_code == 405


def test_invalid_client_is_401_and_names_basic_only_when_basic_was_used(server: LiveServer, world: World) -> None:
    app = world.a.app
    code = code_for(server.url, world.a)
    with_basic = post(
        server.url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        auth=(app.client_id, "cgs_wrong"),
    )
    refused(with_basic, "invalid_client", 401)
    assert with_basic.headers["www-authenticate"].startswith("Basic")
    in_body = post(server.url, data={**exchange_params(app, code), "client_secret": "cgs_wrong"})
    refused(in_body, "invalid_client", 401)
    assert "www-authenticate" not in in_body.headers
    # neither attempt burnt the code: the rightful client still gets its tokens, by Basic
    ok = post(
        server.url,
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        auth=(app.client_id, app.client_secret),
    )
    assert ok.status_code == 200, ok.text
    assert ok.headers["cache-control"] == "no-store"
    assert ok.headers["pragma"] == "no-cache"
    assert "refresh_token" in ok.json()


def test_code_of_another_client_or_provider(server: LiveServer, world: World) -> None:
    b_url = server.url_for_host("localhost")
    b_code = code_for(b_url, world.b)
    # B's client does not exist at A; A's client cannot use B's code
    refused(post(server.url, data=exchange_params(world.b.app, b_code)), "invalid_client", 401)
    refused(post(server.url, data=exchange_params(world.a.app, b_code)), "invalid_grant")
    code = code_for(server.url, world.a)
    other = {**exchange_params(world.a.pkce_app, code), "redirect_uri": world.a.app.redirect_uri}
    refused(post(server.url, data=other), "invalid_grant")


def test_expired_code(server: LiveServer, world: World, settings: Settings) -> None:
    code = code_for(server.url, world.a)

    async def expire(conn: Any) -> None:
        await conn.execute(update(authorization_codes).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))

    in_transaction(settings, expire)
    body = refused(post(server.url, data=exchange_params(world.a.app, code)), "invalid_grant")
    assert code not in body["error_description"]


def test_wrong_redirect_uri_at_the_token_step(server: LiveServer, world: World) -> None:
    code = code_for(server.url, world.a)
    params = {**exchange_params(world.a.app, code), "redirect_uri": "http://127.0.0.1:8765/other"}
    refused(post(server.url, data=params), "invalid_grant")
    # given at the authorization step, omitted (sent empty) at the token step
    omitted = exchange_params(world.a.app, code_for(server.url, world.a)) | {"redirect_uri": ""}
    refused(post(server.url, data=omitted), "invalid_grant")


def test_code_replay_revokes_the_tokens_it_issued(server: LiveServer, world: World) -> None:
    app = world.a.app
    code = code_for(server.url, world.a)
    first = post(server.url, data=exchange_params(app, code)).json()
    assert active(server, app, first["access_token"])
    refused(post(server.url, params=exchange_params(app, code)), "invalid_grant")
    assert not active(server, app, first["access_token"])
    refused(
        post(
            server.url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": app.client_id,
                "client_secret": app.client_secret,
            },
        ),
        "invalid_grant",
    )


def test_refresh_reuse_revokes_the_grant_and_scope_escalation_is_invalid_scope(
    server: LiveServer, world: World
) -> None:
    app = world.a.app
    creds = {"client_id": app.client_id, "client_secret": app.client_secret}
    first = post(server.url, data=exchange_params(app, code_for(server.url, world.a))).json()
    refresh = {"grant_type": "refresh_token", **creds}
    refused(
        post(server.url, data={**refresh, "refresh_token": first["refresh_token"], "scope": "read,liveview"}),
        "invalid_scope",
    )
    refused(
        post(server.url, data={**refresh, "refresh_token": first["refresh_token"], "scope": "root"}), "invalid_scope"
    )
    refused(
        post(
            server.url,
            data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": app.client_id},
        ),
        "invalid_client",
        401,
    )
    narrow = post(server.url, data={**refresh, "refresh_token": first["refresh_token"], "scope": "read"})
    assert narrow.status_code == 200, narrow.text  # the refused attempts did not burn it
    second = narrow.json()
    assert second["scope"] == "read"
    refused(post(server.url, data={**refresh, "refresh_token": first["refresh_token"]}), "invalid_grant")
    assert not active(server, app, second["access_token"])
    refused(post(server.url, data={**refresh, "refresh_token": second["refresh_token"]}), "invalid_grant")


def test_pkce_rules_at_the_token_step(server: LiveServer, world: World) -> None:
    app = world.a.pkce_app
    verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    no_secret = {"grant_type": "authorization_code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    # missing verifier, wrong verifier: each spends the code
    for bad in ({}, {"code_verifier": verifier[:-4] + "AAAA"}):
        code = code_for(server.url, world.a, app, **pkce)
        refused(post(server.url, data={**no_secret, "code": code, **bad}), "invalid_grant")
    code = code_for(server.url, world.a, app, **pkce)
    ok = post(server.url, data={**no_secret, "code": code, "code_verifier": verifier})
    assert ok.status_code == 200, ok.text
    assert "refresh_token" not in ok.json()
    # a verifier for a code that had no challenge (RFC 9700 §2.1.1 downgrade)
    plain_code = code_for(server.url, world.a)
    refused(
        post(server.url, data={**exchange_params(world.a.app, plain_code), "code_verifier": verifier}), "invalid_grant"
    )


def test_refresh_grace_period(server: LiveServer, world: World, settings: Settings) -> None:
    from camgate.store import apps

    async def set_grace(conn: Any) -> None:
        app = await apps.app_by_id(conn, world.a.app.id)
        assert app is not None
        await apps.update_app(
            conn,
            app.id,
            name=app.name,
            description=app.description,
            redirect_uris=app.redirect_uris,
            require_pkce=app.require_pkce,
            refresh_grace_seconds=30,
        )

    in_transaction(settings, set_grace)
    app = world.a.app
    first = post(server.url, data=exchange_params(app, code_for(server.url, world.a))).json()
    refresh = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": first["refresh_token"],
    }
    second = post(server.url, data=refresh).json()
    retried = post(server.url, data=refresh)  # the answer was "lost": the client retries
    assert retried.status_code == 200, retried.text
    assert retried.json()["refresh_token"] == second["refresh_token"]
    assert retried.json()["access_token"] == second["access_token"]
    assert active(server, app, second["access_token"])
    third = post(server.url, data={**refresh, "refresh_token": second["refresh_token"]})
    assert third.status_code == 200
    # the successor was used: presenting the first token again is reuse after all
    refused(post(server.url, data=refresh), "invalid_grant")
    assert not active(server, app, third.json()["access_token"])


def test_refresh_token_of_another_client_or_provider(server: LiveServer, world: World) -> None:
    app, other = world.a.app, world.a.pkce_app
    mine = post(server.url, data=exchange_params(app, code_for(server.url, world.a))).json()
    b_url = server.url_for_host("localhost")
    theirs = post(b_url, data=exchange_params(world.b.app, code_for(b_url, world.b))).json()
    as_other = {"grant_type": "refresh_token", "client_id": other.client_id, "client_secret": other.client_secret}
    refused(post(server.url, data={**as_other, "refresh_token": mine["refresh_token"]}), "invalid_grant")
    as_app = {"grant_type": "refresh_token", "client_id": app.client_id, "client_secret": app.client_secret}
    refused(post(server.url, data={**as_app, "refresh_token": theirs["refresh_token"]}), "invalid_grant")
    # B's client presenting its own token at A is unknown there
    as_b = {
        "grant_type": "refresh_token",
        "client_id": world.b.app.client_id,
        "client_secret": world.b.app.client_secret,
    }
    refused(post(server.url, data={**as_b, "refresh_token": theirs["refresh_token"]}), "invalid_client", 401)
    # none of that burnt or revoked anything
    assert post(server.url, data={**as_app, "refresh_token": mine["refresh_token"]}).status_code == 200
    assert post(b_url, data={**as_b, "refresh_token": theirs["refresh_token"]}).status_code == 200
