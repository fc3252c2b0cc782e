"""Bearer validation (RFC 6750), shared by the API and introspection."""

from __future__ import annotations

import pytest

from camgate.oauth.bearer import parse_authorization_header, validate_bearer
from camgate.oauth.errors import InvalidTokenError
from camgate.oauth.revocation import revoke
from camgate.tokens import TokenKind, mint
from tests.unit.oauth.conftest import Bench


def check(bench: Bench, token: str, *, provider_id: int = 1, later: float = 0) -> object:
    from datetime import timedelta

    return bench.run(
        validate_bearer(bench.storage, token, provider_id=provider_id, now=bench.now + timedelta(seconds=later))
    )


@pytest.mark.parametrize("header", ["Bearer abc", "bearer abc", "BEARER  abc "])
def test_header_forms(header: str) -> None:
    assert parse_authorization_header(header) == "abc"


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer a b", "Token abc"])
def test_bad_headers(header: str | None) -> None:
    with pytest.raises(InvalidTokenError):
        parse_authorization_header(header)


def test_access_and_personal_tokens_are_valid(bench: Bench) -> None:
    tokens = bench.tokens()
    principal = check(bench, tokens["access_token"])
    assert principal.kind == "access" and principal.user.id == bench.owner.id  # type: ignore[attr-defined]
    personal = bench.storage.add_personal_token(bench.owner)
    assert check(bench, personal).kind == "personal"  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [TokenKind.ACCESS, TokenKind.PERSONAL, TokenKind.REFRESH, TokenKind.CODE])
def test_unknown_tokens(bench: Bench, kind: TokenKind) -> None:
    with pytest.raises(InvalidTokenError):
        check(bench, mint(kind))


def test_noise_never_reaches_storage(bench: Bench) -> None:
    class Exploding:
        def read(self) -> object:
            raise AssertionError("storage was consulted for noise")

        unit = read

    real = mint(TokenKind.ACCESS)
    bad_checksum = real[:-1] + ("1" if real[-1] == "0" else "0")
    for noise in ("x", "cga_" + "A" * 49, bad_checksum):
        with pytest.raises(InvalidTokenError):
            bench.run(validate_bearer(Exploding(), noise, provider_id=1, now=bench.now))  # type: ignore[arg-type]


def test_refresh_token_is_not_a_bearer_token(bench: Bench) -> None:
    with pytest.raises(InvalidTokenError):
        check(bench, bench.tokens()["refresh_token"])


def test_expired_other_provider_disabled_revoked(bench: Bench) -> None:
    tokens = bench.tokens()
    with pytest.raises(InvalidTokenError):
        check(bench, tokens["access_token"], later=3600)
    with pytest.raises(InvalidTokenError) as info:
        check(bench, tokens["access_token"], provider_id=2)
    assert info.value.log_detail == "token of another provider"
    bench.storage.set_user(bench.owner, is_active=False)
    with pytest.raises(InvalidTokenError):
        check(bench, tokens["access_token"])
    bench.storage.set_user(bench.owner, is_active=True)
    check(bench, tokens["access_token"])
    bench.run(revoke(bench.ctx(), tokens["refresh_token"], {}, None))
    with pytest.raises(InvalidTokenError):
        check(bench, tokens["access_token"])
