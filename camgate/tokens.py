"""Minting, recognising and hashing camgate's opaque credentials.

Every credential is ``<prefix>_<body><checksum>``:

* ``prefix`` names its kind (``cgp`` personal API token, ``cga`` access token, ``cgr`` refresh
  token, ``cgc`` authorization code, ``cgs`` client secret) so secret scanners can match leaked
  ones, as GitHub's ``ghp_`` and PyPI's ``pypi-`` do;
* ``body`` is 32 bytes from the OS CSPRNG (256 bits) in base62: 43 characters;
* ``checksum`` is the CRC32 of ``prefix_body`` in base62, 6 characters: a scanner (and camgate's
  own bearer check) can tell a real token from noise without a database round-trip.

Only the SHA-256 of a credential is stored. The credentials carry 256 bits of entropy, so a fast
hash is enough (no password hash: that would cost ~1000x per request for nothing, see issue 7), and
lookups by hash make the comparison independent of the secret's bytes.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
import zlib

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62 = re.compile("[0-9A-Za-z]*")  # fullmatch: one C loop instead of a Python one per character
_BODY_LEN = 43  # 62**43 > 2**256
_CHECKSUM_LEN = 6  # 62**6 > 2**32
DISPLAY_LEN = 8  # characters of the body kept (with the prefix) to show a token in lists


class TokenKind(enum.StrEnum):
    PERSONAL = "cgp"
    ACCESS = "cga"
    REFRESH = "cgr"
    CODE = "cgc"
    CLIENT_SECRET = "cgs"


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(head: str) -> str:
    return _base62(zlib.crc32(head.encode("ascii")), _CHECKSUM_LEN)


def mint(kind: TokenKind) -> str:
    """A new credential of ``kind`` with 256 random bits."""
    body = _base62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LEN)
    head = f"{kind.value}_{body}"
    return head + _checksum(head)


def kind_of(token: str) -> TokenKind | None:
    """The kind of a well-formed credential, or None if ``token`` is malformed or its checksum fails.

    This is the cheap first gate of every bearer check: noise never reaches the database.
    """
    if len(token) != 4 + _BODY_LEN + _CHECKSUM_LEN or token[3] != "_":
        return None
    try:
        kind = TokenKind(token[:3])
    except ValueError:
        return None
    head, check = token[: 4 + _BODY_LEN], token[4 + _BODY_LEN :]
    if _BASE62.fullmatch(token, 4) is None:
        return None
    if not hmac.compare_digest(_checksum(head), check):
        return None
    return kind


def hash_token(token: str) -> str:
    """SHA-256 hex digest: the only form in which a credential is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def display_prefix(token: str) -> str:
    """The part of a credential that may be shown again later (``cgp_AbCdEfGh…``)."""
    return token[: 4 + DISPLAY_LEN]


def matches_hash(token: str, stored_hash: str) -> bool:
    """Constant-time check of a presented credential against its stored hash."""
    return hmac.compare_digest(hash_token(token), stored_hash)


def new_client_id() -> str:
    """A public, unguessable client identifier (not a secret, so no checksum or prefix)."""
    return _base62(int.from_bytes(secrets.token_bytes(16), "big"), 22)


def derive(kind: TokenKind, key: bytes, label: str) -> str:
    """A credential derived from ``key`` and ``label`` instead of random bits.

    Two uses, both so that a credential can be produced again without its plaintext being stored
    (the key is the installation's secret key): ``camgate demo`` prints the same demo client secret
    every time it runs, and the refresh grace period (``oauth.grants.refresh_token``) answers a
    retried refresh with the same successor tokens. The output is an HMAC-SHA-256 (256 bits), so
    it is as unguessable as ``mint`` for anyone without the key and the label.
    """
    digest = hmac.new(key, label.encode(), hashlib.sha256).digest()
    body = _base62(int.from_bytes(digest, "big"), _BODY_LEN)
    head = f"{kind.value}_{body}"
    return head + _checksum(head)
