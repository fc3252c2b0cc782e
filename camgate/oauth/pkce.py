"""Proof Key for Code Exchange (RFC 7636), S256 only.

``plain`` is refused: RFC 9700 §2.1.1 says clients SHOULD use S256 and ``plain`` protects nothing
against an attacker who can read the authorization request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from camgate.oauth.errors import InvalidGrantError, InvalidRequestError

# RFC 7636 §4.1: code_verifier = 43*128unreserved; §4.2: the S256 challenge is 43 base64url chars.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


def check_challenge(challenge: str | None, method: str | None, *, required: bool) -> tuple[str | None, str | None]:
    """Validate the authorization request's PKCE parameters (RFC 7636 §4.3, §4.4.1).

    Returns ``(challenge, "S256")`` or ``(None, None)`` when no PKCE was asked for and it is not
    required. A method defaults to ``plain`` by the RFC when omitted, which camgate does not
    support, so a challenge without ``code_challenge_method=S256`` is refused.
    """
    if challenge is None:
        if method is not None:
            raise InvalidRequestError("code_challenge_method was given without code_challenge")
        if required:
            raise InvalidRequestError("this application requires PKCE: send code_challenge with S256")
        return None, None
    if method != "S256":
        raise InvalidRequestError("only code_challenge_method=S256 is supported")
    if not _CHALLENGE.match(challenge):
        raise InvalidRequestError("code_challenge must be 43 base64url characters (RFC 7636 §4.2)")
    return challenge, "S256"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify_code_verifier(challenge: str | None, verifier: str | None) -> None:
    """RFC 7636 §4.6: the verifier must hash to the stored challenge.

    A verifier sent for a code issued without a challenge is refused as well (RFC 9700 §2.1.1:
    it detects a PKCE downgrade attack).
    """
    if challenge is None:
        if verifier is not None:
            raise InvalidGrantError("code_verifier was sent but the authorization request had no code_challenge")
        return
    if verifier is None:
        raise InvalidGrantError("code_verifier is required for this code")
    if not _VERIFIER.match(verifier):
        raise InvalidGrantError("code_verifier must be 43 to 128 unreserved characters (RFC 7636 §4.1)")
    if not hmac.compare_digest(s256(verifier), challenge):
        raise InvalidGrantError("code_verifier does not match the code_challenge")
