"""The portal's guests and activity pages, on SQLite and PostgreSQL."""

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


def add_form(owner: httpx.Client) -> dict[str, str]:
    return form_fields(owner.get("/portal/api/guests/new").text, "/portal/api/guests")


def test_add_guest_who_can_then_log_in(owner: httpx.Client, server: LiveServer, world: World) -> None:
    form = add_form(owner)
    garage = world.a.camera_ids["Garage"]
    form.update(email="helper@alpha.example", password="long enough pw", rights="events", cameras=str(garage))
    done = owner.post("/portal/api/guests", data=form)
    assert done.status_code == 303 and done.headers["location"] == "/portal/api/guests?done=guest-added"
    listing = owner.get("/portal/api/guests?done=guest-added").text
    assert "helper@alpha.example" in listing and "Garage" in listing and "guest account was added" in listing
    with httpx.Client(base_url=server.url, follow_redirects=False) as helper:
        assert login(helper, "helper@alpha.example", "long enough pw").status_code == 303
    again = owner.post("/portal/api/guests", data=form)
    assert again.status_code == 400 and "already exists" in again.text


BAD_INPUT = [
    ({"email": "not-an-email"}, "not a valid email", 400),
    ({"password": "short"}, "at least 8 characters", 400),
    ({"rights": "root"}, "Unknown right", 400),
    ({"cameras": "999999"}, "cameras of your organization", 400),
    ({"cameras": "abc"}, "cameras of your organization", 400),
    ({"csrf_token": "stale"}, "Nothing was changed", 403),
]


def test_add_guest_bad_input(owner: httpx.Client, world: World) -> None:
    for change, message, status in BAD_INPUT:
        form = add_form(owner)
        form.update(email="typed@alpha.example", password="long enough pw", rights="read")
        form.update(change)
        answer = owner.post("/portal/api/guests", data=form)
        assert answer.status_code == status, change
        assert message in answer.text, change
        if "email" not in change:
            assert 'value="typed@alpha.example"' in answer.text
    assert "typed@alpha.example" not in owner.get("/portal/api/guests").text


def test_another_organizations_camera_is_refused(owner: httpx.Client, world: World) -> None:
    form = add_form(owner)
    form.update(email="x@alpha.example", password="long enough pw", cameras=str(world.a.other_org_camera_id))
    assert owner.post("/portal/api/guests", data=form).status_code == 400


def test_edit_rights_and_cameras_then_disable(owner: httpx.Client, server: LiveServer, world: World) -> None:
    guest = world.a.guest
    base = f"/portal/api/guests/{guest.id}"
    page = owner.get(base).text
    assert 'value="liveview" checked' in page
    form = form_fields(page, base)
    form.update(rights="events", cameras=str(world.a.camera_ids["Garage"]))
    done = owner.post(base, data=form)
    assert done.status_code == 303
    listing = owner.get("/portal/api/guests").text
    assert ">events</code>" in listing and "Garage" in listing

    with httpx.Client(base_url=server.url, follow_redirects=False) as g:
        assert login(g, guest.email, world.a.password).status_code == 303
        assert g.get("/portal/api/guests").status_code == 403
        assert g.get(base).status_code == 403
        disable_form = form_fields(owner.get(f"{base}/disable").text, f"{base}/disable")
        assert owner.post(f"{base}/disable", data=disable_form).status_code == 303
        # Its session ended with it.
        assert g.get("/portal/api/authorized").status_code == 303
    assert "disabled" in owner.get("/portal/api/guests").text
    with httpx.Client(base_url=server.url, follow_redirects=False) as g:
        assert login(g, guest.email, world.a.password).status_code != 303

    # Enabled again from the list (a CSRF-protected button): the guest can log in once more.
    enable = form_fields(owner.get("/portal/api/guests").text, f"{base}/enable")
    assert owner.post(f"{base}/enable", data={}).headers["location"] == "/portal/api/guests"  # no CSRF: nothing
    assert "disabled" in owner.get("/portal/api/guests").text
    assert owner.post(f"{base}/enable", data=enable).headers["location"].endswith("done=guest-enabled")
    assert "disabled" not in owner.get("/portal/api/guests").text
    with httpx.Client(base_url=server.url, follow_redirects=False) as g:
        assert login(g, guest.email, world.a.password).status_code == 303


def test_other_organizations_guest_is_404(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url_for_host("localhost"), follow_redirects=False) as other:
        assert login(other, world.b.owner.email, world.b.password).status_code == 303
        page = other.get(f"/portal/api/guests/{world.a.guest.id}")
        assert page.status_code == 404 and world.a.guest.email not in page.text
        assert other.post(f"/portal/api/guests/{world.a.guest.id}/disable", data={}).status_code == 404
        assert world.a.guest.email not in other.get("/portal/api/guests").text


def test_activity_is_paginated_newest_first(owner: httpx.Client, world: World) -> None:
    for i in range(52):
        form = form_fields(owner.get("/portal/api/tokens/new").text, "/portal/api/tokens")
        form.update(name=f"t{i:02}", scope="read")
        assert owner.post("/portal/api/tokens", data=form).status_code == 200
    first = owner.get("/portal/api/activity").text
    assert first.index("name: t51") < first.index("name: t50")
    older = re.search(r'href="/portal/api/activity\?before=(\d+)"', first)
    assert older
    second = owner.get(f"/portal/api/activity?before={older.group(1)}").text
    assert "name: t51" not in second and "app.create" in second  # the seeded apps' creation
    assert owner.get("/portal/api/activity?before=abc").status_code == 200
    assert owner.get("/portal/api/activity?before=99999999999999999").status_code == 200


def test_guest_sees_only_its_own_activity(server: LiveServer, world: World) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as g:
        assert login(g, world.a.guest.email, world.a.password).status_code == 303
        page = g.get("/portal/api/activity")
        assert page.status_code == 200
        assert "app.create" not in page.text
