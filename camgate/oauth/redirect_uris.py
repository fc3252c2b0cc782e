"""Redirect URIs: what may be registered, and how a request's URI is matched.

Matching is exact string comparison (RFC 9700 §2.1 and §4.1.3: "the authorization server MUST
ensure that the redirect URI … exactly matches one of the registered ones"), with the one exception
RFC 8252 §7.3 requires for native apps: a loopback IP redirect URI registered without a port
matches the same URI with any port, since the app picks a free port at run time.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URI_CHARS = 2000
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")
_FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "file", "vbscript", "about", "blob", "ftp", "ws", "wss"})
# RFC 8252 §7.1: private-use schemes are reverse domain names, so they contain a period.
_PRIVATE_SCHEME = re.compile(r"^[a-z][a-z0-9+\-]*\.[a-z0-9+\-.]+$")


class InvalidRedirectURIError(ValueError):
    """A redirect URI that cannot be registered; the message says why, in plain words."""


def check_registrable(uri: str) -> str:
    """Return ``uri`` unchanged if it may be registered, else raise InvalidRedirectURIError.

    Accepted: absolute ``https`` URLs, ``http`` URLs (for loopback and development), and the
    private-use schemes of native apps (RFC 8252 §7.1). Refused: relative URLs, fragments
    (RFC 6749 §3.1.2), user info, whitespace, and ``javascript:``/``data:``/``file:`` and other
    schemes that are not navigable redirect targets.
    """
    if not uri:
        raise InvalidRedirectURIError("the redirect URL is empty")
    if len(uri) > MAX_URI_CHARS:
        raise InvalidRedirectURIError(f"the redirect URL is longer than {MAX_URI_CHARS} characters")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in uri) or "\\" in uri:
        raise InvalidRedirectURIError(f"{uri!r} contains spaces, backslashes or control characters")
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise InvalidRedirectURIError(f"{uri!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise InvalidRedirectURIError(f"{uri!r} is not an absolute URL (it needs https://…)")
    if "#" in uri:
        raise InvalidRedirectURIError(f"{uri!r} has a fragment (#…), which a redirect URL must not have")
    if scheme in _FORBIDDEN_SCHEMES:
        raise InvalidRedirectURIError(f"the {scheme}: scheme cannot be a redirect URL")
    if scheme in ("http", "https"):
        if not parts.hostname or not uri.lower().startswith(f"{scheme}://"):
            raise InvalidRedirectURIError(f"{uri!r} has no host name")
        if "@" in parts.netloc:
            raise InvalidRedirectURIError(f"{uri!r} has user information (…@), which is not allowed")
        try:
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError:
            raise InvalidRedirectURIError(f"{uri!r} has an invalid port") from None
        return uri
    if _PRIVATE_SCHEME.match(scheme):
        return uri
    raise InvalidRedirectURIError(
        f"the {scheme}: scheme is not allowed (use https, http, or a reverse-domain app scheme)"
    )


def _without_loopback_port(uri: str) -> str | None:
    """``http://127.0.0.1:PORT/rest`` → ``http://127.0.0.1/rest``; None for anything else."""
    for host in LOOPBACK_HOSTS:
        head = f"http://{host}:"
        if uri.startswith(head):
            rest = uri[len(head) :]
            digits = len(rest) - len(rest.lstrip("0123456789"))
            if 0 < digits <= 5 and (len(rest) == digits or rest[digits] in "/?"):
                return f"http://{host}{rest[digits:]}"
    return None


def match_redirect_uri(presented: str, registered: tuple[str, ...]) -> bool:
    """True if ``presented`` is one of ``registered`` character for character (RFC 9700 §4.1.3),
    or a loopback URI registered without a port, presented with one (RFC 8252 §7.3)."""
    if presented in registered:
        return True
    portless = _without_loopback_port(presented)
    return portless is not None and portless in registered
