"""Redirect URI matching and the open redirector (RFC 9700 §4.1, §4.11; RFC 6749 §3.1.2, §4.1.2.1).

A redirect URI that is not registered exactly must get an error page: no ``Location`` header, not
even to the login page, since the client and its redirect URI are checked before anything else.
"""

from __future__ import annotations

import httpx
import pytest

from tests.factories import World
from tests.flows import authorization_code, decide, form_fields, login, open_consent, pkce_pair
from tests.security.conftest import Shared
from tests.security.helpers import auth_params
from tests.support import LiveServer

REGISTERED = "http://127.0.0.1:8765/callback"

# (case id, presented redirect_uri) — each one a trick from RFC 9700 §4.1.1 ("insufficient redirect
# URI validation") or the OpenID conformance suite's negative redirect_uri modules.
TRICKS = [
    ("prefix-longer-path", REGISTERED + "/evil"),
    ("prefix-glued", REGISTERED + "evil"),
    ("suffix-on-other-host", "http://evil.example/" + REGISTERED),
    ("truncated", "http://127.0.0.1:8765/callbac"),
    ("trailing-slash", REGISTERED + "/"),
    ("extra-query", REGISTERED + "?next=http://evil.example/"),
    ("fragment", REGISTERED + "#evil"),
    ("case-scheme-host", "HTTP://127.0.0.1:8765/callback"),
    ("case-path", "http://127.0.0.1:8765/Callback"),
    ("percent-encoded-path", "http://127.0.0.1:8765/%63allback"),
    ("literal-dotdot", REGISTERED + "/../../evil"),
    ("encoded-dotdot", REGISTERED + "/%2e%2e/%2e%2e/evil"),
    ("double-encoded-dotdot", REGISTERED + "/%252e%252e/evil"),
    ("userinfo-host-swap", "http://127.0.0.1:8765@evil.example/callback"),
    ("userinfo-prefix", "http://evil@127.0.0.1:8765/callback"),
    ("backslash-host", "http://evil.example\\@127.0.0.1:8765/callback"),
    ("backslash-path", "http://127.0.0.1:8765\\callback"),
    ("other-scheme-https", "https://127.0.0.1:8765/callback"),
    ("other-scheme-javascript", "javascript://127.0.0.1:8765/callback%0aalert(1)"),
    ("other-scheme-data", "data:text/html,<script>alert(1)</script>"),
    ("other-host", "http://evil.example/callback"),
    ("other-host-localhost", "http://localhost:8765/callback"),
    ("other-port", "http://127.0.0.1:8766/callback"),
    ("no-port", "http://127.0.0.1/callback"),
    ("ipv6-loopback-instead", "http://[::1]:8765/callback"),
    ("decimal-ip", "http://2130706433:8765/callback"),
    ("whitespace", " " + REGISTERED),
]


@pytest.mark.parametrize(("case", "uri"), TRICKS, ids=[c for c, _ in TRICKS])
def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(shared: Shared, case: str, uri: str) -> None:
    """RFC 9700 §4.1.3 / RFC 6749 §3.1.2.3: exact string matching; §4.1.2.1: on a redirect URI
    mismatch the server "MUST NOT automatically redirect the user-agent to the invalid redirection
    URI". OpenID conformance suite: oidcc-ensure-registered-redirect-uri."""
    server, world = shared.server, shared.world
    answer = httpx.get(f"{server.url}/oauth2/auth", params=auth_params(world.a.app, redirect_uri=uri, state="s"))
    assert answer.status_code == 400, (case, answer.status_code)
    assert "location" not in answer.headers
    assert "text/html" in answer.headers["content-type"]
    assert "evil.example" not in answer.text


def test_unregistered_redirect_uri_refused_even_when_logged_in(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.1.3: the check does not depend on the session (a logged-in victim is the usual target)."""
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        answer = client.get("/oauth2/auth", params=auth_params(world.a.app, redirect_uri="http://evil.example/cb"))
    assert answer.status_code == 400
    assert "location" not in answer.headers


LOOPBACK = "http://127.0.0.1/native"  # registered without a port by tenant.pkce_app


@pytest.mark.parametrize("port", ["1", "8080", "51234", "65535"])
def test_loopback_registered_without_port_accepts_any_port(server: LiveServer, world: World, port: str) -> None:
    """RFC 8252 §7.3: "The authorization server MUST allow any port to be specified at the time of
    the request for loopback IP redirect URIs" — and the code is then bound to that exact URI."""
    verifier, challenge = pkce_pair()
    uri = f"http://127.0.0.1:{port}/native"
    params = auth_params(
        world.a.pkce_app, "read", redirect_uri=uri, code_challenge=challenge, code_challenge_method="S256", state="n"
    )
    got = authorization_code(server.url, world.a.owner.email, world.a.password, params)
    assert "code" in got
    app = world.a.pkce_app
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "code": got["code"],
            "redirect_uri": uri,
            "code_verifier": verifier,
        },
    )
    assert answer.status_code == 200, answer.text


LOOPBACK_TRICKS = [
    ("other-path", "http://127.0.0.1:51234/native/evil"),
    ("other-path-2", "http://127.0.0.1:51234/other"),
    ("localhost-name", "http://localhost:51234/native"),
    ("https", "https://127.0.0.1:51234/native"),
    ("empty-port", "http://127.0.0.1:/native"),
    ("port-too-long", "http://127.0.0.1:123456/native"),
    ("hex-port", "http://127.0.0.1:0x1f/native"),
    ("userinfo", "http://127.0.0.1:51234@evil.example/native"),
    ("other-loopback-ip", "http://127.0.0.2:51234/native"),
    ("extra-query", "http://127.0.0.1:51234/native?x=1"),
    ("fragment", "http://127.0.0.1:51234/native#x"),
]


@pytest.mark.parametrize(("case", "uri"), LOOPBACK_TRICKS, ids=[c for c, _ in LOOPBACK_TRICKS])
def test_loopback_port_exception_allows_nothing_else(shared: Shared, case: str, uri: str) -> None:
    """RFC 8252 §7.3 relaxes only the port; RFC 9700 §4.1.3 keeps everything else exact."""
    server, world = shared.server, shared.world
    _verifier, challenge = pkce_pair()
    params = auth_params(
        world.a.pkce_app, "read", redirect_uri=uri, code_challenge=challenge, code_challenge_method="S256"
    )
    answer = httpx.get(f"{server.url}/oauth2/auth", params=params)
    assert answer.status_code == 400, case
    assert "location" not in answer.headers


def test_unknown_client_is_not_an_open_redirector(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.11.1 / RFC 6749 §4.1.2.1: an unknown client_id gets an error page, never a redirect
    to the URI it names. OpenID conformance suite: oidcc-ensure-request-with-invalid-client-id-fails."""
    params = {"response_type": "code", "client_id": "no-such-client", "redirect_uri": "http://evil.example/cb"}
    for method in ("GET", "POST"):
        answer = httpx.request(method, f"{server.url}/oauth2/auth", params=params)
        assert answer.status_code == 400
        assert "location" not in answer.headers


def test_missing_client_id_is_an_error_page(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.2.1: a missing client identifier is not redirected."""
    answer = httpx.get(f"{server.url}/oauth2/auth", params={"response_type": "code", "redirect_uri": REGISTERED})
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_client_with_another_clients_redirect_uri_is_refused(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.11.1: a valid client_id paired with a URI registered by *another* client."""
    params = auth_params(world.a.app, redirect_uri="com.example.app:/cb")
    answer = httpx.get(f"{server.url}/oauth2/auth", params=params)
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_denied_consent_goes_only_to_the_registered_uri(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.2.1 / RFC 9700 §4.11: access_denied is sent to the registered URI; a consent form
    whose redirect_uri was tampered with to an attacker's site is refused with a page, not redirected."""
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        page = open_consent(client, auth_params(world.a.app, state="d"))
        denied = decide(client, page.text, "deny")
        assert denied.status_code == 303
        assert denied.headers["location"].startswith(REGISTERED + "?")
        assert "error=access_denied" in denied.headers["location"]

        page = open_consent(client, auth_params(world.a.app, state="d2"))
        fields = form_fields(page.text, "/oauth2/consent")
        fields.update(decision="deny", redirect_uri="http://evil.example/cb")
        tampered = client.post("/oauth2/consent", data=fields)
        assert tampered.status_code == 400
        assert "location" not in tampered.headers


def test_errors_after_the_client_is_trusted_go_to_its_registered_uri(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.2.1: once client and redirect URI are verified, errors are redirected there,
    with ``state`` and RFC 9207 ``iss``."""
    answer = httpx.get(f"{server.url}/oauth2/auth", params=auth_params(world.a.app, "root", state="x"))
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REGISTERED + "?")
    assert "error=invalid_scope" in location and "state=x" in location and "iss=" in location


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_redirects_after_a_post_are_303_never_307(server: LiveServer, world: World, method: str) -> None:
    """RFC 9700 §4.12: a 307 after a POST makes the browser re-POST the form — credentials or
    consent — to the client. Login, consent (allow and deny), and the authorization endpoint itself."""
    with httpx.Client(base_url=server.url) as client:
        # Not logged in: to the login page.
        first = client.request(method, "/oauth2/auth", params=auth_params(world.a.app))
        assert first.status_code == (303 if method == "POST" else 302)
        bad = client.request(method, "/oauth2/auth", params=auth_params(world.a.app, "root"))
        assert bad.status_code == (303 if method == "POST" else 302)
        logged = login(client, world.a.owner.email, world.a.password)
        assert logged.status_code == 303
        for decision in ("allow", "deny"):
            page = open_consent(client, auth_params(world.a.app))
            assert decide(client, page.text, decision).status_code == 303
