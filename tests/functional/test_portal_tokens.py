"""The portal's API tokens page against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.factories import World
from tests.flows import form_fields, login
from tests.support import LiveServer


@pytest.fixture
def owner(server: LiveServer, world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=False) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        yield client


def introspect(server: LiveServer, world: World, token: str) -> bool:
    """Whether the token is live (RFC 7662), asked as the seeded app (the API is another issue's)."""
    app = world.a.app
    answer = httpx.post(
        f"{server.url}/oauth2/introspect", data={"token": token}, auth=(app.client_id, app.client_secret)
    )
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["active"])


def new_token_form(client: httpx.Client) -> dict[str, str]:
    page = client.get("/portal/api/tokens/new")
    assert page.status_code == 200
    return form_fields(page.text, "/portal/api/tokens")


def shown_token(html: str) -> str:
    found = re.search(r'id="new-token"[^>]*>([^<]+)<', html)
    assert found, html
    return found.group(1)


def test_not_logged_in_goes_to_login_and_back(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/portal/api/tokens", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fportal%2Fapi%2Ftokens"


def test_create_shows_token_once_and_it_works(owner: httpx.Client, server: LiveServer, world: World) -> None:
    fields = new_token_form(owner)
    page = owner.get("/portal/api/tokens/new").text
    for scope in ("read", "write", "events"):  # every right is offered, explained in plain words
        assert f'value="{scope}"' in page
    assert "Rename your cameras and change their settings" in page
    fields.update(name="Home Assistant", scope="read", expires="90")
    answer = owner.post("/portal/api/tokens", data=fields)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    token = shown_token(answer.text)
    assert token not in str(answer.url)
    assert introspect(server, world, token)
    listing = owner.get("/portal/api/tokens")
    assert "Home Assistant" in listing.text
    assert token not in listing.text  # only shown once
    assert 'class="badge active"' in listing.text


def test_double_submit_does_not_create_a_duplicate(owner: httpx.Client) -> None:
    fields = new_token_form(owner)
    fields.update(name="CI", scope="read", expires="30")
    assert owner.post("/portal/api/tokens", data=fields).status_code == 200
    again = owner.post("/portal/api/tokens", data=fields)
    assert again.status_code == 400
    assert "already have an active token named" in again.text
    assert owner.get("/portal/api/tokens").text.count("<strong>CI</strong>") == 1


BAD_INPUT = [
    ({"name": ""}, "must not be empty"),
    ({"name": "x" * 101}, "at most 100 characters"),
    ({"scope": ""}, "Choose at least one right"),
    ({"scope": "admin"}, "Unknown right"),
    ({"expires": "date", "expires_date": "2001-01-01"}, "must be in the future"),
    ({"expires": "date", "expires_date": "tomorrow"}, "YYYY-MM-DD"),
    ({"expires": ""}, "Choose when the token expires"),
]


def test_bad_input_keeps_what_was_typed(owner: httpx.Client) -> None:
    # One server for every case: each world costs a few Argon2 hashes.
    for change, message in BAD_INPUT:
        fields = new_token_form(owner)
        fields.update(name="Typed name", scope="write", expires="90")
        fields.update(change)
        answer = owner.post("/portal/api/tokens", data=fields)
        assert answer.status_code == 400, change
        assert message in answer.text, change
        assert 'role="alert"' in answer.text
        if "name" not in change:
            assert 'value="Typed name"' in answer.text
        if "scope" not in change:
            assert 'value="write" checked' in answer.text
    assert "You have no API tokens yet" in owner.get("/portal/api/tokens").text


def test_stale_csrf_changes_nothing(owner: httpx.Client) -> None:
    fields = new_token_form(owner)
    fields.update(name="Stale", scope="read", csrf_token="forged")
    answer = owner.post("/portal/api/tokens", data=fields)
    assert answer.status_code == 403
    assert "Nothing was changed" in answer.text
    assert "Stale" not in owner.get("/portal/api/tokens").text


def test_revoke_with_confirmation(owner: httpx.Client, server: LiveServer, world: World) -> None:
    fields = new_token_form(owner)
    fields.update(name="Doomed", scope="read", expires="never")
    token = shown_token(owner.post("/portal/api/tokens", data=fields).text)
    listing = owner.get("/portal/api/tokens").text
    revoke_url = re.search(r'href="(/portal/api/tokens/\d+/revoke)"', listing)
    assert revoke_url
    confirm = owner.get(revoke_url.group(1))
    assert confirm.status_code == 200 and "Revoke the token" in confirm.text
    form = form_fields(confirm.text, revoke_url.group(1))
    done = owner.post(revoke_url.group(1), data=form)
    assert done.status_code == 303
    assert done.headers["location"] == "/portal/api/tokens?done=token-revoked"
    assert not introspect(server, world, token)
    assert 'class="badge revoked"' in owner.get("/portal/api/tokens").text
    assert owner.post(revoke_url.group(1), data=form).status_code == 409


def test_another_users_token_is_404(server: LiveServer, world: World, owner: httpx.Client) -> None:
    fields = new_token_form(owner)
    fields.update(name="Mine", scope="read")
    owner.post("/portal/api/tokens", data=fields)
    token_id = re.search(r"/portal/api/tokens/(\d+)/revoke", owner.get("/portal/api/tokens").text)
    assert token_id
    with httpx.Client(base_url=server.url_for_host("localhost"), follow_redirects=False) as other:
        assert login(other, world.b.owner.email, world.b.password).status_code == 303
        assert other.get(f"/portal/api/tokens/{token_id.group(1)}/revoke").status_code == 404
        assert other.get("/portal/api/tokens/99999999999999/revoke").status_code == 404


def test_guest_cannot_use_tokens(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as guest:
        assert login(guest, world.a.guest.email, world.a.password).status_code == 303
        assert guest.get("/portal/api/tokens").status_code == 403
        assert guest.get("/portal/api/tokens/new").status_code == 403
        overview = guest.get("/portal/api")
        assert overview.status_code == 200
        assert "/portal/api/apps" not in overview.text
        assert "/portal/api/authorized" in overview.text
