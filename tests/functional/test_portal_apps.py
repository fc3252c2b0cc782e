"""The portal's OAuth2 applications and authorized-applications pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.factories import World
from tests.flows import authorization_code, form_fields, login
from tests.support import LiveServer

REDIRECT = "https://integrator.example/callback"


@pytest.fixture
def owner(server: LiveServer, world: World) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=False) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        yield client


def secret_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html)
    assert found, html
    return found.group(1)


def create(owner: httpx.Client, **fields: str) -> httpx.Response:
    form = form_fields(owner.get("/portal/api/apps/new").text, "/portal/api/apps")
    form.update({"name": "Dashboard", "description": "Shows cameras", "redirect_uris": REDIRECT, **fields})
    return owner.post("/portal/api/apps", data=form)


def token_for(server: LiveServer, world: World, client_id: str, secret: str) -> dict[str, str]:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "read"}
    got = authorization_code(server.url, world.a.owner.email, world.a.password, params)
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT},
        auth=(client_id, secret),
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def active(server: LiveServer, world: World, token: str) -> bool:
    app = world.a.app
    answer = httpx.post(
        f"{server.url}/oauth2/introspect", data={"token": token}, auth=(app.client_id, app.client_secret)
    )
    return bool(answer.json()["active"])


def test_create_shows_client_id_and_secret_once(owner: httpx.Client, server: LiveServer, world: World) -> None:
    answer = create(owner, redirect_uris=f"{REDIRECT}\r\n\r\nhttp://127.0.0.1/cb\r\n", require_pkce="on")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    client_id = secret_of(answer.text, "client-id")
    secret = secret_of(answer.text, "client-secret")
    listing = owner.get("/portal/api/apps").text
    assert client_id in listing and "Dashboard" in listing and secret not in listing
    app_id = re.search(r'href="/portal/api/apps/(\d+)"><strong>Dashboard', listing)
    assert app_id
    detail = owner.get(f"/portal/api/apps/{app_id.group(1)}").text
    assert secret not in detail
    assert "http://127.0.0.1/cb" in detail and 'id="require_pkce" name="require_pkce" checked' in detail


def test_double_submit_and_bad_input(owner: httpx.Client) -> None:
    assert create(owner).status_code == 200
    again = create(owner)
    assert again.status_code == 400 and "already have an application named" in again.text
    bad = create(owner, name="Other", redirect_uris="javascript:alert(1)")
    assert bad.status_code == 400
    assert 'role="alert"' in bad.text and "javascript:alert(1)" in bad.text  # kept what was typed (escaped)
    assert create(owner, name="", redirect_uris=REDIRECT).status_code == 400
    assert create(owner, name="Other", redirect_uris="").status_code == 400
    assert create(owner, name="Other", csrf_token="stale").status_code == 403
    assert owner.get("/portal/api/apps").text.count("Other") == 0


def test_edit_rotate_and_delete(owner: httpx.Client, server: LiveServer, world: World) -> None:
    created = create(owner).text
    client_id, secret = secret_of(created, "client-id"), secret_of(created, "client-secret")
    app_id = re.search(r'href="/portal/api/apps/(\d+)"', created)
    assert app_id
    base = f"/portal/api/apps/{app_id.group(1)}"
    tokens = token_for(server, world, client_id, secret)
    detail = owner.get(base).text
    assert "1 user" in detail

    form = form_fields(detail, base)
    form.update(name="Dashboard 2", description="New", redirect_uris=REDIRECT, require_pkce="on")
    saved = owner.post(base, data=form)
    assert saved.status_code == 303 and saved.headers["location"] == f"{base}?done=app-updated"
    assert "Dashboard 2" in owner.get(base).text
    # The flag is enforced at once: an authorization request without a PKCE challenge is refused.
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "scope": "read"}
    refused_pkce = owner.get("/oauth2/auth", params=params)
    assert refused_pkce.status_code in (302, 303)
    assert "error=invalid_request" in refused_pkce.headers["location"]
    form.update(redirect_uris="not a url")
    refused = owner.post(base, data=form)
    assert refused.status_code == 400 and "not a url" in refused.text

    confirm = owner.get(f"{base}/secret")
    rotate_form = form_fields(confirm.text, f"{base}/secret")
    rotated = owner.post(f"{base}/secret", data=rotate_form)
    assert rotated.status_code == 200 and rotated.headers["cache-control"] == "no-store"
    new_secret = secret_of(rotated.text, "client-secret")
    assert new_secret != secret
    assert owner.post(f"{base}/secret", data=rotate_form).status_code == 403  # a resubmit rotates nothing
    old = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(client_id, secret),
    )
    assert old.status_code == 401

    assert active(server, world, tokens["access_token"])
    delete_form = form_fields(owner.get(f"{base}/delete").text, f"{base}/delete")
    deleted = owner.post(f"{base}/delete", data=delete_form)
    assert deleted.status_code == 303
    assert not active(server, world, tokens["access_token"])
    assert owner.get(base).status_code == 404
    assert owner.post(f"{base}/delete", data=delete_form).status_code == 404


def test_other_organizations_app_is_404_and_guest_gets_403(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url_for_host("localhost"), follow_redirects=False) as other:
        assert login(other, world.b.owner.email, world.b.password).status_code == 303
        page = other.get(f"/portal/api/apps/{world.a.app.id}")
        assert page.status_code == 404 and world.a.app.client_id not in page.text
        assert other.get(f"/portal/api/apps/{world.a.app.id}/secret").status_code == 404
        assert other.post(f"/portal/api/apps/{world.a.app.id}/delete", data={}).status_code == 404
    with httpx.Client(base_url=server.url, follow_redirects=False) as guest:
        assert login(guest, world.a.guest.email, world.a.password).status_code == 303
        assert guest.get("/portal/api/apps").status_code == 403
        assert guest.get(f"/portal/api/apps/{world.a.app.id}").status_code == 403
        assert guest.post("/portal/api/apps", data={}).status_code == 403
        assert "/portal/api/apps" not in guest.get("/portal/api").text


def test_authorized_apps_list_and_revoke(server: LiveServer, world: World) -> None:
    app = world.a.app
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
    got = authorization_code(server.url, world.a.guest.email, world.a.password, {**params, "scope": "read,write"})
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "authorization_code", "code": got["code"], "redirect_uri": app.redirect_uri},
        auth=(app.client_id, app.client_secret),
    )
    token = answer.json()["access_token"]
    with httpx.Client(base_url=server.url, follow_redirects=False) as guest:
        assert login(guest, world.a.guest.email, world.a.password).status_code == 303
        listing = guest.get("/portal/api/authorized").text
        assert "Integration" in listing and "<code" in listing and ">write</code>" not in listing
        url = f"/portal/api/authorized/{app.id}/revoke"
        form = form_fields(guest.get(url).text, url)
        assert guest.post(url, data={**form, "csrf_token": "x"}).status_code == 403
        assert active(server, world, token)
        done = guest.post(url, data=form)
        assert done.status_code == 303 and done.headers["location"] == "/portal/api/authorized?done=access-revoked"
        assert not active(server, world, token)
        assert "No application has access" in guest.get("/portal/api/authorized").text
        assert guest.post(url, data=form).status_code == 404
        activity = guest.get("/portal/api/activity").text
        assert "grant.revoke" in activity


def test_two_consents_to_one_app_show_as_one_row_with_both_rights(server: LiveServer, world: World) -> None:
    app = world.a.app
    for scope in ("read", "events"):
        params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri}
        got = authorization_code(server.url, world.a.owner.email, world.a.password, {**params, "scope": scope})
        answer = httpx.post(
            f"{server.url}/oauth2/token",
            data={"grant_type": "authorization_code", "code": got["code"], "redirect_uri": app.redirect_uri},
            auth=(app.client_id, app.client_secret),
        )
        assert answer.status_code == 200
    with httpx.Client(base_url=server.url, follow_redirects=False) as owner:
        assert login(owner, world.a.owner.email, world.a.password).status_code == 303
        listing = owner.get("/portal/api/authorized").text
        assert listing.count(f"/portal/api/authorized/{app.id}/revoke") == 1
        assert ">read</code>" in listing and ">events</code>" in listing
        assert "Native app" not in listing
        assert "1 user" in owner.get(f"/portal/api/apps/{app.id}").text
