"""CORS for the endpoints a browser app calls directly, and for nothing else.

The document says a JavaScript application cannot keep a ``client_secret``: it swaps its code at
``/oauth2/token`` without one (with PKCE), calls the API with its bearer token, and may revoke it —
all from another origin, which a browser allows only with CORS. These endpoints never read
cookies (a code, a refresh token or a bearer token in the request is the credential), so any
origin may call them, and credentialed CORS is never offered (``Access-Control-Allow-Credentials``
is absent: a cross-site page cannot ride on a user's portal session). The portal, the login and
the consent pages get no CORS headers at all; neither does introspection (server to server).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORS_PATHS = frozenset(
    {
        "/oauth2/token",
        "/oauth2/token/",
        "/oauth2/revoke",
        "/oauth2/revoke/",
        "/api/graphql",
        "/api/graphql.php",
        "/.well-known/oauth-authorization-server",
    }
)
_ALLOW = [(b"access-control-allow-origin", b"*"), (b"vary", b"Origin")]
_PREFLIGHT = [
    *_ALLOW,
    (b"access-control-allow-methods", b"GET, POST"),
    (b"access-control-allow-headers", b"Authorization, Content-Type"),
    (b"access-control-max-age", b"600"),
    (b"content-length", b"0"),
]


class CORSMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in CORS_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await send({"type": "http.response.start", "status": 204, "headers": _PREFLIGHT})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_ALLOW]
            await send(message)

        await self.app(scope, receive, send_with_cors)
