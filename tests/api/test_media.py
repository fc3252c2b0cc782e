"""Live view, snapshots, talk-back and downloads: signed, expiring URLs that never hold the token."""

from __future__ import annotations

import struct
import zlib
from urllib.parse import parse_qs, urlsplit

import httpx

from camgate.config import Settings
from tests.api.helpers import ALL_RIGHTS, data, gql, token_for
from tests.factories import World
from tests.support import LiveServer


def png_size(image: bytes) -> tuple[int, int]:
    """Check a PNG's structure (signature, chunk CRCs, inflatable data) and return its size."""
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = 0
    while pos < len(image):
        (length,) = struct.unpack(">I", image[pos : pos + 4])
        kind, body = image[pos + 4 : pos + 8], image[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", image[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(kind + body)
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


def test_live_view_snapshot_stream_talkback_and_download(server: LiveServer, world: World, settings: Settings) -> None:
    token = token_for(settings, world.a.owner, ALL_RIGHTS)
    cams = world.a.camera_ids
    found = data(
        gql(
            server.url,
            token,
            f"""{{ a: camera(id: "{cams["myCamera"]}") {{ liveView {{ streamUrl snapshotUrl expiresAt }} }}
                  b: camera(id: "{cams["Garage"]}") {{ liveView {{ snapshotUrl }}
                     recordings(first: 1) {{ items {{ id sizeBytes downloadUrl }} }} }} }}""",
        )
    )
    live = found["a"]["liveView"]
    assert token not in str(found)
    query = parse_qs(urlsplit(live["snapshotUrl"]).query)
    assert set(query) == {"exp", "sig"}
    assert live["snapshotUrl"].startswith(f"{server.url}/api/media/snapshot/")
    # A real image, different for another camera.
    first = httpx.get(live["snapshotUrl"])
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/png"
    assert png_size(first.content) == (320, 180)
    other = httpx.get(found["b"]["liveView"]["snapshotUrl"]).content
    assert png_size(other) == (320, 180)
    assert other != first.content
    # The stream: multipart PNG frames; the first one is enough here.
    with httpx.stream("GET", live["streamUrl"]) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("multipart/x-mixed-replace; boundary=camgateframe")
        head = b""
        for chunk in stream.iter_bytes():
            head += chunk
            if b"IEND" in head:
                break
    assert head.startswith(b"--camgateframe\r\nContent-Type: image/png\r\n")
    # Tampered, stripped or moved to another object: one refusal, no hint which.
    tampered = live["snapshotUrl"].replace("sig=", "sig=A")
    moved = live["snapshotUrl"].replace(f"/snapshot/{cams['myCamera']}.png", f"/snapshot/{cams['Garage']}.png")
    expired = live["snapshotUrl"].replace(f"exp={query['exp'][0]}", "exp=1000")
    for bad in (tampered, moved, expired, live["snapshotUrl"].split("?")[0]):
        refused = httpx.get(bad)
        assert refused.status_code == 403, bad
        assert refused.json()["error"] == "invalid_url"
    # Another provider's host does not honour this provider's URL.
    assert httpx.get(live["snapshotUrl"].replace(server.url, server.url_for_host("localhost"))).status_code == 403
    # Download a recording.
    recording = found["b"]["recordings"]["items"][0]
    download = httpx.get(recording["downloadUrl"])
    assert download.status_code == 200
    assert len(download.content) == recording["sizeBytes"]
    assert download.headers["content-disposition"] == f'attachment; filename="recording-{recording["id"]}.bin"'
    # Talk-back: a session URL that takes audio.
    talk = data(
        gql(
            server.url, token, f'mutation {{ startTalkback(cameraId: "{cams["myCamera"]}") {{ uploadUrl sessionId }} }}'
        )
    )
    upload = talk["startTalkback"]["uploadUrl"]
    sent = httpx.post(upload, content=b"\x00\x01" * 800, headers={"Content-Type": "application/octet-stream"})
    assert sent.json() == {"received_bytes": 1600, "session": talk["startTalkback"]["sessionId"]}
    other_session = upload.replace("session=", "session=x")
    assert httpx.post(other_session, content=b"\x00").status_code == 403
    assert httpx.post(upload, content=b"\x00" * (256 * 1024 + 1)).status_code == 413
