"""``state`` round-trips, CSRF on the consent and login forms, framing and caching headers.

RFC 6749 §4.1.2 and §10.12 (state, CSRF), RFC 9700 §4.7 (CSRF) and §4.16 (clickjacking),
RFC 6749 §5.1 and RFC 6819 §5.1.6 (no-store on token answers).
"""

from __future__ import annotations

import httpx
import pytest

from tests.factories import World
from tests.flows import authorization_code, form_fields, login, open_consent
from tests.security.conftest import Shared
from tests.security.helpers import auth_params, exchange, get_code
from tests.support import LiveServer

STATES = {
    "long": "s" * 3000 + "-end",
    "unicode": "žluťoučký kůň 🐎 — <script>alert('x')</script> & \"quoted\" ' %41 + =?&#",
}


@pytest.mark.parametrize("kind", list(STATES))
@pytest.mark.parametrize("decision", ["allow", "deny"])
def test_state_is_echoed_exactly_on_the_redirect(server: LiveServer, world: World, kind: str, decision: str) -> None:
    """RFC 6749 §4.1.2: state is "REQUIRED if the "state" parameter was present in the client
    authorization request. The exact value received from the client" — on success and on error."""
    state = STATES[kind]
    got = authorization_code(
        server.url, world.a.owner.email, world.a.password, auth_params(world.a.app, state=state), decision
    )
    assert got["state"] == state


def test_state_is_html_escaped_on_the_consent_page(server: LiveServer, world: World) -> None:
    """RFC 6819 §4.4.1.x / OWASP: a reflected parameter must not become markup (XSS on the consent
    page would let a script click Allow)."""
    state = STATES["unicode"]
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        page = open_consent(client, auth_params(world.a.app, state=state))
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;" in page.text
    # Escaped, yet the form carries the exact value back (an HTML parser unescapes it).
    assert form_fields(page.text, "/oauth2/consent")["state"] == state


def test_state_over_the_value_limit_is_refused_with_a_page(shared: Shared) -> None:
    """RFC 6749 §4.1.2.1: a malformed request (a 5000-character value) before the client is trusted:
    error page, no redirect."""
    params = auth_params(shared.world.a.app, state="x" * 5000)
    answer = httpx.get(f"{shared.server.url}/oauth2/auth", params=params)
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_consent_without_csrf_token_is_refused(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.7 / RFC 6749 §10.12: a consent POST forged by another site carries no valid token."""
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        page = open_consent(client, auth_params(world.a.app))
        fields = form_fields(page.text, "/oauth2/consent")
        fields.pop("csrf_token")
        answer = client.post("/oauth2/consent", data={**fields, "decision": "allow"})
    assert answer.status_code == 403
    assert "location" not in answer.headers


def test_consent_csrf_token_of_another_request_is_refused(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.7: a token minted for one authorization request cannot approve another (here: the
    same app with more rights)."""
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        page = open_consent(client, auth_params(world.a.app, "read"))
        token = form_fields(page.text, "/oauth2/consent")["csrf_token"]
        escalated = {**auth_params(world.a.app, "read,write,recordings_delete"), "csrf_token": token}
        answer = client.post("/oauth2/consent", data={**escalated, "decision": "allow"})
    assert answer.status_code == 403
    assert "location" not in answer.headers


def test_consent_csrf_token_of_another_session_is_refused(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.7: the attacker's own valid token (from its own session) does not work in the victim's."""
    with httpx.Client(base_url=server.url) as attacker:
        assert login(attacker, world.a.guest.email, world.a.password).status_code == 303
        token = form_fields(open_consent(attacker, auth_params(world.a.app)).text, "/oauth2/consent")["csrf_token"]
    with httpx.Client(base_url=server.url) as victim:
        assert login(victim, world.a.owner.email, world.a.password).status_code == 303
        answer = victim.post(
            "/oauth2/consent", data={**auth_params(world.a.app), "csrf_token": token, "decision": "allow"}
        )
    assert answer.status_code == 403


def test_login_without_csrf_token_is_refused(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.7 (login CSRF): a forged login would put the victim in the attacker's account."""
    answer = httpx.post(
        f"{server.url}/login", data={"email": world.a.owner.email, "password": world.a.password, "next": "/"}
    )
    assert answer.status_code == 403
    assert "cg_session" not in answer.headers.get("set-cookie", "")


def test_logout_without_csrf_token_keeps_the_session(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.7: a cross-site POST to /logout must not end the session."""
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        client.post("/logout", data={})
        page = open_consent(client, auth_params(world.a.app))
    assert page.status_code == 200  # still logged in: the consent dialog, not the login page


def _assert_unframeable(answer: httpx.Response) -> None:
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def test_login_consent_and_error_pages_cannot_be_framed(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.16 / RFC 6819 §4.4.1.9 (clickjacking): X-Frame-Options and CSP frame-ancestors."""
    with httpx.Client(base_url=server.url) as client:
        _assert_unframeable(client.get("/login"))
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        consent = open_consent(client, auth_params(world.a.app))
        assert consent.status_code == 200
        _assert_unframeable(consent)
        error = client.get("/oauth2/auth", params={"client_id": "nope"})
        assert error.status_code == 400
        _assert_unframeable(error)
        assert consent.headers["cache-control"] == "no-store"


def test_token_answers_are_not_cacheable(server: LiveServer, world: World) -> None:
    """RFC 6749 §5.1: "Cache-Control: no-store" (and Pragma: no-cache) on any answer holding tokens,
    and on its errors (RFC 6749 §5.2 answers come from the same endpoint)."""
    code = get_code(server.url, world.a)
    ok = exchange(server.url, world.a.app, code)
    assert ok.status_code == 200
    assert ok.headers["cache-control"] == "no-store"
    assert ok.headers["pragma"] == "no-cache"
    bad = exchange(server.url, world.a.app, code)
    assert bad.status_code == 400
    assert bad.headers["cache-control"] == "no-store"
    introspected = httpx.post(
        f"{server.url}/oauth2/introspect",
        data={"client_id": world.a.app.client_id, "client_secret": world.a.app.client_secret, "token": "x"},
    )
    assert introspected.headers["cache-control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite(server: LiveServer, world: World) -> None:
    """RFC 6819 §5.1.4.1.x / RFC 9700 §4.7: session cookies out of scripts' reach and not sent cross-site."""
    with httpx.Client(base_url=server.url) as client:
        answer = login(client, world.a.owner.email, world.a.password)
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("cg_session="))
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()


def test_login_next_is_not_an_open_redirect(shared: Shared) -> None:
    """RFC 9700 §4.11: the login page's ``next`` is same-site only."""
    server, world = shared.server, shared.world
    for target in ("http://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example"):
        with httpx.Client(base_url=server.url) as client:
            page = client.get("/login", params={"next": target})
            fields = form_fields(page.text, "/login")
            fields.update(email=world.a.owner.email, password=world.a.password)
            answer = client.post("/login", data={**fields, "next": target})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/", target
