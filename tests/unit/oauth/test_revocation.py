"""Revocation: the document's ``access_token=`` and RFC 7009 ``token`` with client auth."""

from __future__ import annotations

import pytest

from camgate.oauth.errors import InvalidClientError, InvalidRequestError, UnauthorizedClientError
from camgate.oauth.revocation import SUCCESS, revoke
from camgate.tokens import TokenKind, hash_token, mint
from tests.unit.oauth.conftest import Bench


def do(
    bench: Bench,
    raw: str | None,
    params: dict[str, str] | None = None,
    basic: tuple[str, str] | None = None,
    at: object = None,
) -> dict[str, object]:
    return bench.run(revoke(bench.ctx(at), raw, params or {}, basic))  # type: ignore[arg-type]


def grant_revoked(bench: Bench, tokens: dict[str, str]) -> bool:
    s = bench.storage.state
    return (
        s.access[hash_token(tokens["access_token"])].revoked_at is not None
        and s.refresh[hash_token(tokens["refresh_token"])].revoked_at is not None
    )


def test_access_token_form_needs_no_client_auth_and_revokes_the_grant(bench: Bench) -> None:
    tokens = bench.tokens()
    assert do(bench, tokens["access_token"]) == SUCCESS
    assert grant_revoked(bench, tokens)
    assert bench.storage.actions()[-1] == "token.revoke"


def test_refresh_token_through_the_documents_form(bench: Bench) -> None:
    tokens = bench.tokens()
    assert do(bench, tokens["refresh_token"]) == SUCCESS
    assert grant_revoked(bench, tokens)


@pytest.mark.parametrize("hint", ["access_token", "refresh_token", "bogus"])
def test_rfc7009_token_with_client_auth(bench: Bench, hint: str) -> None:
    tokens = bench.tokens()
    value = tokens["refresh_token" if hint == "refresh_token" else "access_token"]
    assert do(bench, None, {"token": value, "token_type_hint": hint, **bench.app.creds()}) == SUCCESS
    assert grant_revoked(bench, tokens)


def test_rfc7009_with_basic(bench: Bench) -> None:
    tokens = bench.tokens()
    assert do(bench, None, {"token": tokens["access_token"]}, (bench.app.client_id, bench.app.secret)) == SUCCESS
    assert grant_revoked(bench, tokens)


def test_token_form_needs_client_auth(bench: Bench) -> None:
    tokens = bench.tokens()
    with pytest.raises(InvalidClientError):
        do(bench, None, {"token": tokens["access_token"]})
    with pytest.raises(InvalidClientError):
        do(bench, None, {"token": tokens["access_token"], "client_id": bench.app.client_id})
    with pytest.raises(InvalidClientError):
        do(bench, None, {"token": tokens["access_token"], "client_id": bench.app.client_id, "client_secret": "x"})
    assert not grant_revoked(bench, tokens)


def test_another_clients_token_is_unauthorized_client(bench: Bench) -> None:
    tokens = bench.tokens()
    with pytest.raises(UnauthorizedClientError):
        do(bench, None, {"token": tokens["access_token"], **bench.other_app.creds()})
    assert not grant_revoked(bench, tokens)


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        pytest.param(mint(TokenKind.ACCESS), id="access"),
        pytest.param(mint(TokenKind.REFRESH), id="refresh"),
        pytest.param(mint(TokenKind.CODE), id="code"),
    ],
)
def test_unknown_tokens_succeed(bench: Bench, value: str) -> None:
    assert do(bench, value) == SUCCESS
    assert do(bench, None, {"token": value, **bench.app.creds()}) == SUCCESS


def test_another_providers_token_is_untouched_but_answered_success(bench: Bench) -> None:
    tokens = bench.tokens()
    assert do(bench, tokens["access_token"], at=bench.b) == SUCCESS
    assert not grant_revoked(bench, tokens)


def test_personal_token(bench: Bench) -> None:
    value = bench.storage.add_personal_token(bench.owner)
    with pytest.raises(UnauthorizedClientError):
        do(bench, None, {"token": value, **bench.app.creds()})
    assert do(bench, value) == SUCCESS
    assert bench.storage.state.personal[hash_token(value)].revoked_at is not None


def test_missing_or_both(bench: Bench) -> None:
    with pytest.raises(InvalidRequestError):
        do(bench, None, {**bench.app.creds()})
    with pytest.raises(InvalidRequestError):
        do(bench, "x", {"token": "y"})


def test_revoking_twice_is_fine(bench: Bench) -> None:
    tokens = bench.tokens()
    assert do(bench, tokens["access_token"]) == SUCCESS
    assert do(bench, tokens["access_token"]) == SUCCESS
