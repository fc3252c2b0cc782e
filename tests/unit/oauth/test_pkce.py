"""RFC 7636 PKCE, S256 only."""

from __future__ import annotations

import pytest

from camgate.oauth.errors import InvalidGrantError, InvalidRequestError
from camgate.oauth.pkce import check_challenge, s256, verify_code_verifier

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B


def test_rfc_7636_appendix_b_vector() -> None:
    assert s256(VERIFIER) == CHALLENGE


def test_s256_challenge_is_accepted() -> None:
    assert check_challenge(CHALLENGE, "S256", required=True) == (CHALLENGE, "S256")


def test_no_pkce_when_not_required() -> None:
    assert check_challenge(None, None, required=False) == (None, None)


@pytest.mark.parametrize(
    ("challenge", "method", "required", "message"),
    [
        (None, None, True, "requires PKCE"),
        (CHALLENGE, "plain", False, "S256"),
        (CHALLENGE, None, False, "S256"),  # the RFC's default is plain
        (None, "S256", False, "without code_challenge"),
        ("short", "S256", False, "43 base64url"),
        (CHALLENGE[:-1] + "=", "S256", False, "43 base64url"),
    ],
)
def test_bad_challenges_are_invalid_request(
    challenge: str | None, method: str | None, required: bool, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        check_challenge(challenge, method, required=required)


def test_verifier_checks() -> None:
    verify_code_verifier(CHALLENGE, VERIFIER)
    verify_code_verifier(None, None)
    with pytest.raises(InvalidGrantError, match="required"):
        verify_code_verifier(CHALLENGE, None)
    with pytest.raises(InvalidGrantError, match="does not match"):
        verify_code_verifier(CHALLENGE, VERIFIER[:-1] + "A")
    with pytest.raises(InvalidGrantError, match="43 to 128"):
        verify_code_verifier(CHALLENGE, "tooshort")
    # RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt.
    with pytest.raises(InvalidGrantError, match="had no code_challenge"):
        verify_code_verifier(None, VERIFIER)
