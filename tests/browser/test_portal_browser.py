"""The </> API section in a real browser: an owner registers an app and a token, runs the OAuth2
flow through the consent dialog to the test's callback, and revokes access from the page; a guest
sees on the consent dialog the rights it lacks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.browser.conftest import Callback, screenshot
from tests.factories import World
from tests.support import LiveServer

pytestmark = pytest.mark.browser


def introspect(server: LiveServer, token: str, client_id: str, secret: str) -> bool:
    answer = httpx.post(f"{server.url}/oauth2/introspect", data={"token": token}, auth=(client_id, secret))
    assert answer.status_code == 200, answer.text
    return bool(answer.json()["active"])


def log_in(page: Any, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_owner_app_token_consent_and_revoke(browser: Any, server: LiveServer, world: World, callback: Callback) -> None:
    context = browser.new_context(base_url=server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    try:
        # Not logged in: the login screen, then back to the page asked for.
        page.goto("/portal/api/apps/new")
        assert "/login" in page.url
        log_in(page, world.a.owner.email, world.a.password)
        page.wait_for_url("**/portal/api/apps/new")

        page.get_by_label("Name", exact=True).fill("Browser app")
        page.get_by_label("Description").fill("Made in Chromium")
        page.get_by_label("Redirect URLs").fill("http://127.0.0.1/cb")
        page.get_by_role("button", name="Create application").click()
        page.get_by_text("shown only once").wait_for()
        client_id = page.locator("#client-id").inner_text().strip()
        secret = page.locator("#client-secret").inner_text().strip()
        assert secret.startswith("cgs_")
        # The copy button (the portal's only script) puts the secret on the clipboard.
        page.locator("button[data-copy=client-secret]").click()
        page.get_by_text("client_secret copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == secret

        page.goto("/portal/api/tokens/new")
        page.get_by_label("Name", exact=True).fill("Script")
        page.locator("#scope-read").check()
        page.get_by_label("never", exact=True).check()
        page.get_by_role("button", name="Create token").click()
        personal = page.locator("#new-token").inner_text().strip()
        assert introspect(server, personal, client_id, secret)

        query = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": callback.url(),
                "scope": "read,liveview",
                "state": "browser-state",
            }
        )
        page.goto(f"/oauth2/auth?{query}")
        assert page.get_by_role("heading", name="Browser app wants to access").is_visible()
        page.get_by_role("button", name="Allow").click()
        page.wait_for_url(f"{callback.url()}?**")
        got = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
        assert got["state"] == "browser-state"
        assert [hit for hit in callback.hits if hit.startswith("/cb")] == [
            urlsplit(page.url).path + "?" + urlsplit(page.url).query
        ]

        answer = httpx.post(
            f"{server.url}/oauth2/token",
            data={"grant_type": "authorization_code", "code": got["code"], "redirect_uri": callback.url()},
            auth=(client_id, secret),
        )
        assert answer.status_code == 200, answer.text
        access = answer.json()["access_token"]
        assert introspect(server, access, client_id, secret)

        page.goto("/portal/api/authorized")
        page.get_by_role("link", name="Revoke access of Browser app").click()
        page.get_by_role("button", name="Revoke access").click()
        page.get_by_text("Access was revoked").wait_for()
        assert not introspect(server, access, client_id, secret)

        page.goto("/portal/api/tokens")
        page.get_by_role("link", name="Revoke Script").click()
        page.get_by_role("button", name="Revoke token").click()
        page.get_by_text("The token was revoked").wait_for()
        assert not introspect(server, personal, client_id, secret)
        assert page.locator(".badge.revoked").count() == 1

        # Responsive: on a phone-sized screen no page scrolls sideways.
        page.set_viewport_size({"width": 360, "height": 740})
        for path in ("/portal/api/tokens", "/portal/api/apps", "/portal/api/tokens/new", "/portal/api/activity"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    finally:
        screenshot(page, "portal_owner_flow")
        context.close()


def test_guest_sees_the_rights_it_lacks_on_consent(browser: Any, server: LiveServer, world: World) -> None:
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    try:
        # The guest's menu has the </> API item; its section has no OAuth2 applications.
        page.goto("/portal/api")
        log_in(page, world.a.guest.email, world.a.password)
        page.wait_for_url("**/portal/api")
        assert page.get_by_role("link", name="Authorized applications").first.is_visible()
        assert page.get_by_role("link", name="OAuth2 applications").count() == 0

        app = world.a.app
        query = urlencode(
            {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "scope": "read,write,recordings_delete",
            }
        )
        page.goto(f"/oauth2/auth?{query}")
        granted = page.get_by_role("list", name="Rights that will be granted")
        withheld = page.get_by_role("list", name="Rights that will not be granted")
        assert "read" in granted.inner_text() and "write" not in granted.inner_text()
        assert "write" in withheld.inner_text() and "recordings_delete" in withheld.inner_text()
        assert page.get_by_role("button", name="Allow").is_visible()
    finally:
        screenshot(page, "portal_guest_consent")
        context.close()
