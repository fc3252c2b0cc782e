"""RFC 7662 introspection."""

from __future__ import annotations

import pytest

from camgate.oauth.errors import InvalidClientError, InvalidRequestError
from camgate.oauth.introspection import INACTIVE, introspect
from camgate.oauth.revocation import revoke
from camgate.tokens import TokenKind, mint
from tests.unit.oauth.conftest import Bench


def ask(
    bench: Bench, token: str, *, later: float = 0, at: object = None, creds: dict[str, str] | None = None
) -> dict[str, object]:
    params = {"token": token, **(creds if creds is not None else bench.app.creds())}
    return bench.run(introspect(bench.ctx(at, later=later), params, None))  # type: ignore[arg-type]


def test_active_access_token(bench: Bench) -> None:
    tokens = bench.tokens()
    got = ask(bench, tokens["access_token"])
    assert got["active"] is True
    assert got["scope"] == "read write"
    assert got["client_id"] == bench.app.client_id
    assert got["username"] == bench.owner.email
    assert got["sub"] == str(bench.owner.id)
    assert got["iss"] == "https://alpha.example"
    assert got["token_type"] == "Bearer"
    assert got["exp"] == int(bench.now.timestamp()) + 3600
    assert got["iat"] == int(bench.now.timestamp())


def test_any_client_of_the_provider_may_introspect(bench: Bench) -> None:
    tokens = bench.tokens()
    assert ask(bench, tokens["access_token"], creds=bench.other_app.creds())["active"] is True


def test_personal_token(bench: Bench) -> None:
    got = ask(bench, bench.storage.add_personal_token(bench.owner, ["read", "events"]))
    assert got["active"] is True and got["scope"] == "read events" and "client_id" not in got


def test_a_guest_that_lost_a_right_no_longer_passes_it_on(bench: Bench) -> None:
    token = bench.storage.add_personal_token(bench.guest, ["read", "liveview"])
    assert ask(bench, token)["scope"] == "read liveview"
    bench.storage.set_user(bench.guest, rights=frozenset({"read"}))
    assert ask(bench, token)["scope"] == "read"


@pytest.mark.parametrize(
    "value",
    ["garbage", pytest.param(mint(TokenKind.ACCESS), id="access"), pytest.param(mint(TokenKind.CODE), id="code")],
)
def test_noise_is_inactive(bench: Bench, value: str) -> None:
    assert ask(bench, value) == INACTIVE


def test_missing_token_is_invalid_request(bench: Bench) -> None:
    with pytest.raises(InvalidRequestError):
        bench.run(introspect(bench.ctx(), bench.app.creds(), None))


def test_refresh_tokens_are_not_bearer_tokens(bench: Bench) -> None:
    assert ask(bench, bench.tokens()["refresh_token"]) == INACTIVE


def test_expired_revoked_other_provider_disabled(bench: Bench) -> None:
    tokens = bench.tokens()
    assert ask(bench, tokens["access_token"], later=3600) == INACTIVE
    b_creds = bench.b_app.creds()
    assert ask(bench, tokens["access_token"], at=bench.b, creds=b_creds) == INACTIVE
    bench.storage.set_user(bench.owner, is_active=False)
    assert ask(bench, tokens["access_token"]) == INACTIVE
    bench.storage.set_user(bench.owner, is_active=True)
    assert ask(bench, tokens["access_token"])["active"] is True
    bench.run(revoke(bench.ctx(), tokens["access_token"], {}, None))
    assert ask(bench, tokens["access_token"]) == INACTIVE


def test_needs_client_authentication(bench: Bench) -> None:
    tokens = bench.tokens()
    with pytest.raises(InvalidClientError):
        ask(bench, tokens["access_token"], creds={})
    with pytest.raises(InvalidClientError):
        ask(bench, tokens["access_token"], creds={"client_id": bench.app.client_id})
    with pytest.raises(InvalidClientError):
        ask(bench, tokens["access_token"], creds={"client_id": bench.app.client_id, "client_secret": "nope"})
