"""Providers never cross, malformed parameters never get past the parser, unsupported types.

DESIGN.md §2 (a token of provider A is invalid at provider B), RFC 9207 / RFC 9700 §4.4 (mix-up),
RFC 6749 §3.1 (parameters: once, unknown ones ignored), §5.2 and §4.1.2.1 (error codes).
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.factories import Tenant, World
from tests.flows import decide, login, open_consent
from tests.security.conftest import Shared
from tests.security.helpers import assert_oauth_error, auth_params, exchange, get_code, is_active, refresh, tokens
from tests.support import LiveServer

CAMERAS = {"query": "{cameraList{name}}"}


def _pair(server: LiveServer, world: World, direction: str) -> tuple[str, Tenant, str, Tenant]:
    a_url, b_url = server.url, server.url_for_host("localhost")
    if direction == "a-to-b":
        return a_url, world.a, b_url, world.b
    return b_url, world.b, a_url, world.a


@pytest.mark.parametrize("direction", ["a-to-b", "b-to-a"])
def test_credentials_of_one_provider_are_worthless_at_the_other(
    server: LiveServer, world: World, direction: str
) -> None:
    """DESIGN.md §2 and RFC 9700 §4.4: code, client, access and refresh tokens, session cookie of one
    provider, presented at the other on every endpoint."""
    home_url, home, away_url, away = _pair(server, world, direction)
    code = get_code(home_url, home)
    # The home client is unknown away; the away client cannot use the home code.
    assert_oauth_error(exchange(away_url, home.app, code), "invalid_client", 401)
    assert_oauth_error(exchange(away_url, away.app, code, redirect_uri=home.app.redirect_uri), "invalid_grant")
    issued = tokens(home_url, home)
    assert_oauth_error(refresh(away_url, home.app, issued["refresh_token"]), "invalid_client", 401)
    assert_oauth_error(refresh(away_url, away.app, issued["refresh_token"]), "invalid_grant")
    assert not is_active(away_url, away.app, issued["access_token"])
    api = httpx.post(
        f"{away_url}/api/graphql.php", json=CAMERAS, headers={"Authorization": f"Bearer {issued['access_token']}"}
    )
    assert api.status_code == 401
    # Revoking it away is a no-op that says success (RFC 7009 §2.2) and confirms nothing.
    assert httpx.post(f"{away_url}/oauth2/revoke", params={"access_token": issued["access_token"]}).status_code == 200
    assert is_active(home_url, home.app, issued["access_token"])
    # The authorization endpoint does not know the home client away.
    assert httpx.get(f"{away_url}/oauth2/auth", params=auth_params(home.app)).status_code == 400
    # A home session cookie is not a session away.
    with httpx.Client(base_url=home_url) as client:
        assert login(client, home.owner.email, home.password).status_code == 303
        session = client.cookies.get("cg_session")
    away_page = httpx.get(
        f"{away_url}/oauth2/auth", params=auth_params(away.app), headers={"Cookie": f"cg_session={session}"}
    )
    assert away_page.status_code == 302
    assert away_page.headers["location"].startswith("/login")
    # Home users cannot log in away.
    with httpx.Client(base_url=away_url) as client:
        assert login(client, home.owner.email, home.password).status_code == 401


def test_iss_names_the_provider_that_issued_the_code(server: LiveServer, world: World) -> None:
    """RFC 9207 §2: the ``iss`` parameter lets the client detect an authorization server mix-up."""
    b_url = server.url_for_host("localhost")
    with httpx.Client(base_url=b_url) as client:
        assert login(client, world.b.owner.email, world.b.password).status_code == 303
        page = open_consent(client, auth_params(world.b.app, state="i"))
        location = decide(client, page.text).headers["location"]
    assert f"iss={quote(b_url, safe='')}" in location


def _token_post(shared: Shared, body: bytes | str | None = None, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{shared.server.url}/oauth2/token", content=body, **kwargs)  # type: ignore[arg-type]


FORM = {"content-type": "application/x-www-form-urlencoded"}


def _form(app_id: str, secret: str, extra: str) -> str:
    return f"grant_type=authorization_code&client_id={app_id}&client_secret={secret}&redirect_uri=x&{extra}"


@pytest.mark.parametrize(
    ("case", "extra"),
    [
        ("duplicated-code", "code=a&code=b"),
        ("nul", "code=ab%00cd"),
        ("crlf", "code=ab%0d%0aSet-Cookie:%20x=1"),
        ("non-utf8", "code=%ff%fe"),
        ("oversized-value", "code=" + "a" * 5000),
        ("too-many-parameters", "&".join(f"p{i}=1" for i in range(100))),
    ],
)
def test_malformed_parameters_are_invalid_request(shared: Shared, case: str, extra: str) -> None:
    """RFC 6749 §3.1: parameters "MUST NOT be included more than once"; §5.2 invalid_request for a
    malformed request. NUL, CR/LF (header and log injection) and non-UTF-8 bytes never pass."""
    app = shared.world.a.app
    answer = _token_post(shared, _form(app.client_id, app.client_secret, extra), headers=FORM)
    assert_oauth_error(answer, "invalid_request")


def test_duplicate_between_query_and_body_is_invalid_request(shared: Shared) -> None:
    """RFC 6749 §3.1: once in the query and once in the body is still twice."""
    app = shared.world.a.app
    answer = httpx.post(
        f"{shared.server.url}/oauth2/token",
        params={"client_id": app.client_id},
        data={"client_id": app.client_id, "grant_type": "authorization_code", "code": "x"},
    )
    assert_oauth_error(answer, "invalid_request")


def test_oversized_body_is_refused(shared: Shared) -> None:
    """RFC 6819 §4.4.1.x (resource exhaustion): a body over 64 KiB is refused unread."""
    answer = _token_post(shared, "grant_type=refresh_token&x=" + "a" * 70_000, headers=FORM)
    assert_oauth_error(answer, "invalid_request")


def test_raw_non_ascii_body_is_refused(shared: Shared) -> None:
    """RFC 6749 Appendix B: the body is application/x-www-form-urlencoded (ASCII)."""
    answer = _token_post(shared, b"grant_type=\xff\xfe", headers=FORM)
    assert_oauth_error(answer, "invalid_request")


def test_json_body_is_refused(shared: Shared) -> None:
    """RFC 6749 §4.1.3: the token request is form-encoded, not JSON."""
    answer = httpx.post(f"{shared.server.url}/oauth2/token", json={"grant_type": "refresh_token"})
    assert_oauth_error(answer, "invalid_request")


@pytest.mark.parametrize(
    "value", ["' OR '1'='1", "1; DROP TABLE users;--", '" OR ""="', "%' OR 1=1 --", "\\'; SELECT pg_sleep(5);--"]
)
def test_sql_metacharacters_are_just_wrong_values(shared: Shared, value: str) -> None:
    """RFC 6819 §5.1.4.2.x (injection): every value is a bound parameter; metacharacters are plain data."""
    server, app = shared.server, shared.world.a.app
    data = {"grant_type": "authorization_code", "client_id": value, "code": value, "client_secret": value}
    assert_oauth_error(httpx.post(f"{server.url}/oauth2/token", data=data), "invalid_client", 401)
    data = {"grant_type": "authorization_code", "client_id": app.client_id, "code": value}
    assert_oauth_error(httpx.post(f"{server.url}/oauth2/token", data=data), "invalid_grant")
    auth = httpx.get(f"{server.url}/oauth2/auth", params={"response_type": "code", "client_id": value})
    assert auth.status_code == 400
    with httpx.Client(base_url=server.url) as client:
        assert login(client, value, value).status_code == 401


def test_unknown_parameters_are_ignored(server: LiveServer, world: World) -> None:
    """RFC 6749 §3.1: "The authorization server MUST ignore unrecognized request parameters"."""
    code = get_code(server.url, world.a, foo="bar", audience="x")
    answer = exchange(server.url, world.a.app, code, foo="bar", scope_extra="1", resource="https://x")
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "grant_type",
    [
        "password",
        "client_credentials",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
        "Authorization_Code",
    ],
)
def test_unsupported_grant_types(shared: Shared, grant_type: str) -> None:
    """RFC 6749 §5.2: unsupported_grant_type (the resource owner password grant is also forbidden by
    RFC 9700 §2.4)."""
    app = shared.world.a.app
    data = {
        "grant_type": grant_type,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "username": shared.world.a.owner.email,
        "password": shared.world.a.password,
    }
    assert_oauth_error(httpx.post(f"{shared.server.url}/oauth2/token", data=data), "unsupported_grant_type")


@pytest.mark.parametrize("response_type", ["token", "id_token", "code token", "code id_token", "CODE"])
def test_unsupported_response_types_go_back_to_the_registered_uri(shared: Shared, response_type: str) -> None:
    """RFC 6749 §4.1.2.1: unsupported_response_type; RFC 9700 §2.1.2: the implicit grant is not offered."""
    app = shared.world.a.app
    params = {**auth_params(app), "response_type": response_type, "state": "r"}
    answer = httpx.get(f"{shared.server.url}/oauth2/auth", params=params)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(app.redirect_uri + "?")
    assert "error=unsupported_response_type" in location
    assert "access_token" not in location


def test_token_endpoint_refuses_get(shared: Shared) -> None:
    """RFC 6749 §3.2: "The client MUST use the HTTP POST method when making access token requests"."""
    app = shared.world.a.app
    answer = httpx.get(
        f"{shared.server.url}/oauth2/token",
        params={"grant_type": "refresh_token", "client_id": app.client_id, "client_secret": app.client_secret},
    )
    assert answer.status_code == 405
    assert answer.json()["error"]
