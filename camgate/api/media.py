"""Live view, snapshots, talk-back and recording downloads: signed, expiring URLs.

The GraphQL API hands out URLs instead of streaming through itself, as camera clouds do: the URL
is what a video player or an ``<img>`` tag can open, and it must never carry the bearer token
(RFC 6750 §2.3, RFC 9700 §4.3.2 — URLs end up in logs and Referer headers). Each URL carries
instead ``exp`` (a Unix time a few minutes ahead) and ``sig``, an HMAC-SHA256 with the
installation's secret key over the kind of media, the provider, the object and ``exp``. Anyone
holding the URL may open it until it expires — a capability, like a pre-signed object-store URL —
so the lifetime is short (``MEDIA_TTL_SECONDS``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from camgate.api.devices import BACKEND
from camgate.store import devices as store
from camgate.web.http import BodyTooLargeError, read_body
from camgate.web.services import current_provider, services

log = logging.getLogger("camgate.api.media")

MEDIA_TTL_SECONDS = 300
LIVE_FRAMES = 60  # a live stream ends after this many frames; the client asks for a fresh URL
LIVE_FRAME_SECONDS = 1.0
TALKBACK_MAX_BYTES = 256 * 1024
BOUNDARY = "camgateframe"


@dataclass(frozen=True, slots=True)
class SignedUrl:
    url: str
    expires_at: datetime


def _signature(key: bytes, kind: str, provider_id: int, target: str, exp: int) -> str:
    message = f"{kind}\n{provider_id}\n{target}\n{exp}".encode()
    return base64.urlsafe_b64encode(hmac.new(key, message, hashlib.sha256).digest()).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class MediaSigner:
    """Mints media URLs for one request's provider and public base URL."""

    key: bytes
    provider_id: int
    base_url: str
    now: datetime

    def url(self, kind: str, target: str, *, path: str, extra: dict[str, str] | None = None) -> SignedUrl:
        exp = int(self.now.timestamp()) + MEDIA_TTL_SECONDS
        signed_target = target if not extra else f"{target}?{urlencode(sorted(extra.items()))}"
        query = {
            **(extra or {}),
            "exp": str(exp),
            "sig": _signature(self.key, kind, self.provider_id, signed_target, exp),
        }
        return SignedUrl(f"{self.base_url}{path}?{urlencode(query)}", datetime.fromtimestamp(exp, UTC))

    def snapshot(self, camera_id: int) -> SignedUrl:
        return self.url("snapshot", str(camera_id), path=f"/api/media/snapshot/{camera_id}.png")

    def live(self, camera_id: int) -> SignedUrl:
        return self.url("live", str(camera_id), path=f"/api/media/live/{camera_id}")

    def talkback(self, camera_id: int, session: str) -> SignedUrl:
        return self.url("talkback", str(camera_id), path=f"/api/media/talkback/{camera_id}", extra={"session": session})

    def recording(self, recording_id: int) -> SignedUrl:
        return self.url("recording", str(recording_id), path=f"/api/media/recordings/{recording_id}")


async def check_signed(request: Request, kind: str, target: str, extra: tuple[str, ...] = ()) -> bool:
    """True if the request's ``exp`` is in the future and ``sig`` signs this very URL."""
    exp_raw = request.query_params.get("exp", "")
    sig = request.query_params.get("sig", "")
    if not exp_raw.isdigit() or len(exp_raw) > 12 or not sig:
        return False
    exp = int(exp_raw)
    if exp <= datetime.now(UTC).timestamp():
        return False
    provider = await current_provider(request)
    values = {name: request.query_params.get(name, "") for name in extra}
    signed_target = target if not extra else f"{target}?{urlencode(sorted(values.items()))}"
    expected = _signature(services(request).secret_key, kind, provider.id, signed_target, exp)
    return hmac.compare_digest(expected, sig)


def _refused() -> JSONResponse:
    # One answer for a bad signature, an expired URL and a vanished object: nothing to probe.
    body = {
        "error": "invalid_url",
        "error_description": "this media URL is invalid or has expired; ask the API for a new one",
    }
    return JSONResponse(body, status_code=403)


async def _camera(request: Request, kind: str) -> store.Camera | None:
    camera_id = request.path_params["camera_id"]
    if not await check_signed(request, kind, str(camera_id), ("session",) if kind == "talkback" else ()):
        return None
    async with services(request).db.read() as conn:
        return await store.camera_by_id(conn, camera_id)


async def snapshot(request: Request) -> Response:
    camera = await _camera(request, "snapshot")
    if camera is None:
        return _refused()
    image = await asyncio.to_thread(BACKEND.snapshot, camera, datetime.now(UTC))
    return Response(image, media_type="image/png", headers={"Cache-Control": "no-store"})


async def live(request: Request) -> Response:
    """A live view as ``multipart/x-mixed-replace`` PNG frames: what an ``<img>`` tag plays."""
    camera = await _camera(request, "live")
    if camera is None:
        return _refused()
    db = services(request).db
    camera_id = camera.id

    async def frames() -> AsyncIterator[bytes]:
        for index in range(LIVE_FRAMES):
            async with db.read() as conn:
                current = await store.camera_by_id(conn, camera_id)
            if current is None:
                return
            image = await asyncio.to_thread(BACKEND.snapshot, current, datetime.now(UTC))
            head = f"--{BOUNDARY}\r\nContent-Type: image/png\r\nContent-Length: {len(image)}\r\n\r\n"
            yield head.encode() + image + b"\r\n"
            if index + 1 < LIVE_FRAMES:
                await asyncio.sleep(LIVE_FRAME_SECONDS)

    return StreamingResponse(frames(), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}")


async def talkback(request: Request) -> Response:
    """Talk-back: the client POSTs audio to the session's URL (the simulated speaker discards it)."""
    camera = await _camera(request, "talkback")
    if camera is None:
        return _refused()
    try:
        audio = await read_body(request, TALKBACK_MAX_BYTES)
    except BodyTooLargeError:
        body = {
            "error": "too_large",
            "error_description": f"send audio in chunks of at most {TALKBACK_MAX_BYTES} bytes",
        }
        return JSONResponse(body, status_code=413)
    return JSONResponse({"received_bytes": len(audio), "session": request.query_params.get("session", "")})


async def recording(request: Request) -> Response:
    recording_id = request.path_params["recording_id"]
    if not await check_signed(request, "recording", str(recording_id)):
        return _refused()
    async with services(request).db.read() as conn:
        found = await store.recording_by_id(conn, recording_id)
    if found is None:
        return _refused()
    # The simulated recorder keeps no video: the download is ``size_bytes`` of filler, labelled
    # as what it is, so clients can exercise their download path end to end.
    content = (b"camgate simulated recording\n" * (found.size_bytes // 28 + 1))[: found.size_bytes]
    headers = {"Content-Disposition": f'attachment; filename="recording-{found.id}.bin"'}
    return Response(content, media_type="application/octet-stream", headers=headers)


routes = [
    Route("/api/media/snapshot/{camera_id:int}.png", snapshot, methods=["GET"]),
    Route("/api/media/live/{camera_id:int}", live, methods=["GET"]),
    Route("/api/media/talkback/{camera_id:int}", talkback, methods=["POST"]),
    Route("/api/media/recordings/{recording_id:int}", recording, methods=["GET"]),
]
