"""Every right guards something real: allowed with it, FORBIDDEN without it (token or account),
and a guest sees only its own cameras — a hidden camera looks exactly like a nonexistent one."""

from __future__ import annotations

from typing import Any

from camgate.config import Settings
from camgate.domain import SCOPES
from tests.api.helpers import (
    ALL_RIGHTS,
    data,
    forbidden_scopes,
    gql,
    oauth_token,
    set_guest_access,
    token_for,
    token_named,
    tokens_for,
)
from tests.factories import World
from tests.support import LiveServer


def _cases(cam: str, recording: str) -> dict[str, tuple[str, str]]:
    """right → (a document using it, the path of the field that needs it)."""
    return {
        "read": ("{ cameraList { id name } }", "cameraList"),
        "write": (f'mutation {{ renameCamera(id: "{cam}", name: "Porch") {{ name }} }}', "renameCamera"),
        "liveview": (
            f'{{ events(first: 1) {{ items {{ id }} }} camera(id: "{cam}") {{ liveView {{ snapshotUrl }} }} }}',
            "camera.liveView",
        ),
        "audiotransmit": (f'mutation {{ startTalkback(cameraId: "{cam}") {{ uploadUrl }} }}', "startTalkback"),
        "liveview_ptz": (f'mutation {{ ptzMove(cameraId: "{cam}", pan: 10, tilt: -5) {{ pan tilt }} }}', "ptzMove"),
        "liveview_light": (f'mutation {{ setLight(cameraId: "{cam}", on: true) }}', "setLight"),
        "liveview_audioclip": (
            f'mutation {{ playAudioClip(cameraId: "{cam}", clip: "doorbell") {{ clip }} }}',
            "playAudioClip",
        ),
        "recordings": ("{ recordings(first: 2) { totalCount items { id downloadUrl } } }", "recordings"),
        "recordings_delete": (f'mutation {{ deleteRecording(id: "{recording}") }}', "deleteRecording"),
        "events": ("{ events(first: 2) { items { type } pageInfo { hasNextPage } } }", "events"),
    }


def _recording_id(server: LiveServer, token: str, cam: str) -> str:
    page = data(gql(server.url, token, f'{{ camera(id: "{cam}") {{ recordings(first: 1) {{ items {{ id }} }} }} }}'))
    return str(page["camera"]["recordings"]["items"][0]["id"])


def _get(body: dict[str, Any], path: str) -> Any:
    value: Any = body["data"]
    for key in path.split("."):
        value = value[key]
    return value


def test_each_right_is_allowed_with_it_and_forbidden_without_it(
    server: LiveServer, world: World, settings: Settings
) -> None:
    owner = world.a.owner
    cam = str(world.a.camera_ids["myCamera"])
    tokens = tokens_for(settings, owner, {right: ",".join(s for s in SCOPES if s != right) for right in SCOPES})
    full = token_named(settings, owner, ALL_RIGHTS, "all")
    cases = _cases(cam, _recording_id(server, full, cam))
    assert set(cases) == set(SCOPES)
    for right in SCOPES:
        without = tokens[right]
        document, path = cases[right]
        refused = gql(server.url, without, document)
        assert refused.status_code == 200, refused.text
        body = refused.json()
        assert forbidden_scopes(body) == {path: right}, (right, body)
        error = body["errors"][0]
        assert error["extensions"]["reason"] == "token"
        assert right in error["message"]
        assert _get(body, path) is None
        if right == "liveview":
            assert body["data"]["events"]["items"], "the rest of the query still answers"
    # And with the right, each document answers without an error (deleting last: it needs the id).
    for right in SCOPES:
        document, path = cases[right]
        answer = gql(server.url, full, document)
        assert _get({"data": data(answer)}, path) is not None, right


def test_devices_answer_and_every_command_is_logged(server: LiveServer, world: World, settings: Settings) -> None:
    owner = world.a.owner
    cam = str(world.a.camera_ids["Garage"])
    token = token_named(settings, owner, ALL_RIGHTS, "devices")
    moved = data(
        gql(
            server.url,
            token,
            f"""mutation {{
              a: ptzMove(cameraId: "{cam}", pan: 30, tilt: -10) {{ pan tilt zoom preset }}
              b: ptzZoom(cameraId: "{cam}", zoom: 4) {{ zoom }}
              c: ptzGotoPreset(cameraId: "{cam}", preset: 2) {{ pan tilt zoom preset }}
              d: setLight(cameraId: "{cam}", on: true)
              e: updateCameraSettings(id: "{cam}", settings: {{fps: 10, nightMode: true}}) {{
                settings {{ resolution fps nightMode }}
              }}
            }}""",
        )
    )
    assert moved["a"] == {"pan": 30.0, "tilt": -10.0, "zoom": 1.0, "preset": None}
    assert moved["b"] == {"zoom": 4.0}
    assert moved["c"] == {"pan": -45.0, "tilt": -10.0, "zoom": 2.0, "preset": 2}
    assert moved["d"] is True
    assert moved["e"]["settings"] == {"resolution": "1280x720", "fps": 10, "nightMode": True}
    # The new position reads back, and the log says who, with which token, what and when.
    seen = data(
        gql(
            server.url,
            token,
            f"""{{ camera(id: "{cam}") {{ ptz {{ pan preset }} light
                 commandLog(first: 10) {{ command args userEmail tokenKind tokenPrefix at cameraName }} }}
               me {{ commands(first: 1) {{ command cameraId }} }} }}""",
        )
    )
    assert seen["camera"]["ptz"] == {"pan": -45.0, "preset": 2}
    assert seen["camera"]["light"] is True
    log = seen["camera"]["commandLog"]
    assert [c["command"] for c in log] == ["update_settings", "set_light", "ptz_goto_preset", "ptz_zoom", "ptz_move"]
    assert log[4]["args"] == {"pan": 30.0, "tilt": -10.0}
    assert {c["userEmail"] for c in log} == {owner.email}
    assert {c["tokenKind"] for c in log} == {"personal"}
    assert {c["tokenPrefix"] for c in log} == {token[:12]}
    assert token not in str(seen)
    assert seen["me"]["commands"] == [{"command": "update_settings", "cameraId": cam}]
    # A refused command is a clear error, changes nothing and is not logged.
    bad = gql(server.url, token, f'mutation {{ ptzGotoPreset(cameraId: "{cam}", preset: 99) {{ pan }} }}').json()
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "preset" in bad["errors"][0]["message"]
    clip = gql(server.url, token, f'mutation {{ playAudioClip(cameraId: "{cam}", clip: "nope") {{ clip }} }}').json()
    assert clip["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    after = data(gql(server.url, token, f'{{ camera(id: "{cam}") {{ commandLog(first: 50) {{ id }} }} }}'))
    assert len(after["camera"]["commandLog"]) == 5


def test_guest_sees_only_its_cameras_and_loses_rights_at_once(
    server: LiveServer, world: World, settings: Settings
) -> None:
    tenant = world.a
    front, garage = tenant.camera_ids["Front door"], tenant.camera_ids["Garage"]
    set_guest_access(settings, tenant.guest, ("read", "liveview", "liveview_ptz", "recordings", "events"), [front])
    token = oauth_token(server.url, tenant, tenant.guest.email, "read,liveview,liveview_ptz,recordings,events")
    listed = data(gql(server.url, token, "{ cameraList { id name } me { role rights token { kind clientId } } }"))
    assert listed["cameraList"] == [{"id": str(front), "name": "Front door"}]
    assert listed["me"]["role"] == "guest"
    assert listed["me"]["token"] == {"kind": "access", "clientId": tenant.app.client_id}
    # A hidden camera, another organization's camera and a nonexistent one: the same answer.
    for hidden in (garage, tenant.other_org_camera_id, 999_999, "not-a-number"):
        assert data(gql(server.url, token, f'{{ camera(id: "{hidden}") {{ name }} }}')) == {"camera": None}
        moved = gql(server.url, token, f'mutation {{ ptzMove(cameraId: "{hidden}", pan: 1) {{ pan }} }}').json()
        assert moved["errors"][0]["message"] == "no camera with this id"
        assert moved["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    records = data(gql(server.url, token, "{ recordings(first: 100) { totalCount items { cameraId } } }"))
    assert records["recordings"]["totalCount"] == 5
    assert {r["cameraId"] for r in records["recordings"]["items"]} == {str(front)}
    events = data(gql(server.url, token, "{ events(first: 100) { items { cameraId } } }"))
    assert {e["cameraId"] for e in events["events"]["items"]} == {str(front)}
    hidden_filter = data(gql(server.url, token, f'{{ events(cameraId: "{garage}") {{ items {{ id }} }} }}'))
    assert hidden_filter["events"]["items"] == []
    # The owner narrows the guest: the same token loses the right on its very next request.
    set_guest_access(settings, tenant.guest, ("read",), [front])
    body = gql(server.url, token, f'{{ camera(id: "{front}") {{ name liveView {{ snapshotUrl }} }} }}').json()
    assert body["data"]["camera"]["name"] == "Front door"
    assert forbidden_scopes(body) == {"camera.liveView": "liveview"}
    assert body["errors"][0]["extensions"]["reason"] == "account"


def test_a_guest_sees_its_own_commands_only(server: LiveServer, world: World, settings: Settings) -> None:
    tenant = world.a
    front = tenant.camera_ids["Front door"]
    set_guest_access(settings, tenant.guest, ("read", "liveview_light"), [front])
    owner = token_for(settings, tenant.owner, "read,liveview_light")
    guest = oauth_token(server.url, tenant, tenant.guest.email, "read,liveview_light")
    query = f'{{ camera(id: "{front}") {{ commandLog(first: 10) {{ command userEmail }} }} }}'
    for token in (owner, guest):
        data(gql(server.url, token, f'mutation {{ setLight(cameraId: "{front}", on: true) }}'))
    seen_by_guest = data(gql(server.url, guest, query))["camera"]["commandLog"]
    assert [c["userEmail"] for c in seen_by_guest] == [tenant.guest.email]
    seen_by_owner = data(gql(server.url, owner, query))["camera"]["commandLog"]
    assert [c["userEmail"] for c in seen_by_owner] == [tenant.guest.email, tenant.owner.email]
