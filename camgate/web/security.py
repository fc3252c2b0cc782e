"""Security headers on every response, as a plain ASGI middleware (cheap on the hot paths)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script anywhere: scripts and styles come from /static only. frame-ancestors 'none'
# keeps login, consent and error pages out of frames (clickjacking, RFC 9700 §4.16).
# No form-action: browsers apply it to the redirect that follows a form POST too, and the consent
# form's redirect goes to the client's URI — for a native app a private-use scheme such as
# ``com.example.app:/cb`` (RFC 8252 §7.1) that no fixed source list can name. Forms are only ever
# rendered by camgate's autoescaped templates, so there is no injected form to restrict.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_HSTS = (b"strict-transport-security", b"max-age=31536000")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers.extend(h for h in _HEADERS if h[0] not in present)
                if https:
                    headers.append(_HSTS)
                if b"cache-control" not in present:
                    # Pages and API answers are per-user: never cached by default.
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
