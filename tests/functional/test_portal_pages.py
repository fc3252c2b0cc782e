"""Every page of the </> API section: headers, no inline script, nothing from the internet, every
field labelled, every form CSRF-protected — as an owner and as a guest, on both backends."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx

from tests.factories import World
from tests.flows import login
from tests.support import LiveServer

OWNER_PAGES = [
    "/portal/api",
    "/portal/api/tokens",
    "/portal/api/tokens/new",
    "/portal/api/apps",
    "/portal/api/apps/new",
    "/portal/api/apps/{app}",
    "/portal/api/apps/{app}/secret",
    "/portal/api/apps/{app}/delete",
    "/portal/api/authorized",
    "/portal/api/guests",
    "/portal/api/guests/new",
    "/portal/api/guests/{guest}",
    "/portal/api/guests/{guest}/disable",
    "/portal/api/activity",
]
GUEST_PAGES = ["/portal/api", "/portal/api/authorized", "/portal/api/activity"]


class PageAudit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.fields: list[str] = []
        self.inline_scripts = 0
        self.remote: list[str] = []
        self.forms: list[list[str]] = []
        self.lang = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = bool(a.get("lang"))
        if tag == "script" and not a.get("src"):
            self.inline_scripts += 1
        for attr in ("src", "href"):
            value = a.get(attr) or ""
            if tag in ("script", "link", "img") and value.startswith(("http:", "https:", "//")):
                self.remote.append(value)
        if "style" in a or any(k.startswith("on") for k in a):
            self.inline_scripts += 1  # the CSP would block inline styles and handlers too
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"] or "")
        if tag in ("input", "textarea", "select") and a.get("type") != "hidden":
            self.fields.append(a.get("id") or f"<{tag} name={a.get('name')} without id>")
        if tag == "form":
            self.forms.append([])
        if tag == "input" and a.get("type") == "hidden" and self.forms:
            self.forms[-1].append(a.get("name") or "")


def audit(client: httpx.Client, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
    headers = answer.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    page = PageAudit()
    page.feed(answer.text)
    assert page.lang, path
    assert page.inline_scripts == 0, path
    assert page.remote == [], path
    unlabelled = [f for f in page.fields if f not in page.labels]
    assert unlabelled == [], (path, unlabelled)
    for hidden in page.forms:
        assert "csrf_token" in hidden, (path, hidden)
    assert "Alpha Cloud" in answer.text  # branded with the provider


def test_every_owner_page(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as owner:
        assert login(owner, world.a.owner.email, world.a.password).status_code == 303
        for path in OWNER_PAGES:
            audit(owner, path.format(app=world.a.app.id, guest=world.a.guest.id))
        # The provider's colour reaches every page through /brand.css (no inline style).
        assert "#aa3300" in owner.get("/brand.css").text


def test_every_guest_page_and_the_pages_it_may_not_see(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as guest:
        assert login(guest, world.a.guest.email, world.a.password).status_code == 303
        for path in GUEST_PAGES:
            audit(guest, path)
        home = guest.get("/").text
        assert 'href="/portal/api"' in home
        for path in OWNER_PAGES:
            if path not in GUEST_PAGES:
                got = guest.get(path.format(app=world.a.app.id, guest=world.a.guest.id))
                assert got.status_code == 403, path
                assert "Only full-access accounts" in got.text


def test_not_logged_in_every_page_asks_for_login(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as anon:
        for path in OWNER_PAGES:
            got = anon.get(path.format(app=world.a.app.id, guest=world.a.guest.id))
            assert got.status_code == 303
            assert got.headers["location"].startswith("/login?next=%2Fportal%2Fapi")
        posted = anon.post("/portal/api/tokens", data={"name": "x"})
        assert posted.status_code == 303
