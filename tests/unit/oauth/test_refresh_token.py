"""The refresh grant (RFC 6749 §6): rotation, reuse detection (RFC 9700 §4.14.2), grace period."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest

from camgate.domain import RefreshWithUser
from camgate.oauth.errors import InvalidClientError, InvalidGrantError, InvalidScopeError
from camgate.tokens import TokenKind, hash_token, mint
from tests.unit.oauth.conftest import Bench, Client
from tests.unit.oauth.memory_storage import MemoryUnit


def grace_client(bench: Bench, seconds: int = 10) -> Client:
    return Client(*bench.storage.add_app(bench.owner, refresh_grace_seconds=seconds))


def test_rotation(bench: Bench) -> None:
    first = bench.tokens()
    second = bench.refresh(bench.app, first["refresh_token"])
    assert list(second) == ["access_token", "expires_in", "refresh_token", "token_type", "scope"]
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "read write"
    old = bench.storage.state.refresh[hash_token(first["refresh_token"])]
    assert old.rotated_at is not None
    assert old.successor_id == bench.storage.state.refresh[hash_token(second["refresh_token"])].id
    assert "token.refresh" in bench.storage.actions()


def test_reuse_of_a_rotated_token_revokes_the_grant(bench: Bench) -> None:
    first = bench.tokens()
    second = bench.refresh(bench.app, first["refresh_token"])
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, first["refresh_token"])
    s = bench.storage.state
    assert s.refresh[hash_token(second["refresh_token"])].revoked_at is not None
    assert s.access[hash_token(second["access_token"])].revoked_at is not None
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, second["refresh_token"])
    assert "refresh.reuse" in bench.storage.actions()


def test_narrower_scope_then_escalation(bench: Bench) -> None:
    first = bench.tokens()
    narrow = bench.refresh(bench.app, first["refresh_token"], scope="read")
    assert narrow["scope"] == "read"
    # the refresh token keeps the grant's scope (§6: "identical"), so write can come back…
    assert bench.refresh(bench.app, narrow["refresh_token"], scope="write")["scope"] == "write"


@pytest.mark.parametrize("scope", ["read,liveview", "admin"])
def test_escalation_is_invalid_scope_and_leaves_the_token_usable(bench: Bench, scope: str) -> None:
    first = bench.tokens()
    with pytest.raises(InvalidScopeError):
        bench.refresh(bench.app, first["refresh_token"], scope=scope)
    # the failed attempt rolled back: no reuse alarm
    assert bench.refresh(bench.app, first["refresh_token"])["access_token"]


def test_refresh_needs_the_secret(bench: Bench) -> None:
    first = bench.tokens()
    with pytest.raises(InvalidClientError):
        bench.token(
            {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": bench.app.client_id}
        )


def test_another_clients_refresh_token_is_refused_without_burning_it(bench: Bench) -> None:
    first = bench.tokens()
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.other_app, first["refresh_token"])
    assert bench.refresh(bench.app, first["refresh_token"])["access_token"]


def test_refresh_token_of_another_provider(bench: Bench) -> None:
    code = bench.code(bench.b_app, at=bench.b, user=bench.b_owner)
    params = {
        "grant_type": "authorization_code",
        "code": code,
        **bench.b_app.creds(),
        "redirect_uri": bench.b_app.redirect_uri,
    }
    theirs = bench.token(params, at=bench.b)
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, theirs["refresh_token"])


@pytest.mark.parametrize(
    "value",
    ["garbage", pytest.param(mint(TokenKind.REFRESH), id="refresh"), pytest.param(mint(TokenKind.ACCESS), id="access")],
)
def test_unknown_or_malformed(bench: Bench, value: str) -> None:
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, value)


def test_revoked_grant_or_disabled_user(bench: Bench) -> None:
    first = bench.tokens()
    bench.storage.set_user(bench.owner, is_active=False)
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, first["refresh_token"])
    bench.storage.set_user(bench.owner, is_active=True)
    assert bench.refresh(bench.app, first["refresh_token"])["access_token"]


def test_expired_refresh_token(bench: Bench) -> None:
    first = bench.tokens()
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, first["refresh_token"], later=90 * 86400 + 1)


# -- grace period ------------------------------------------------------------------------------


def test_grace_period_returns_the_same_successor_pair(bench: Bench) -> None:
    client = grace_client(bench)
    first = bench.tokens(client)
    second = bench.refresh(client, first["refresh_token"], later=1)
    again = bench.refresh(client, first["refresh_token"], later=5)
    assert again["access_token"] == second["access_token"]
    assert again["refresh_token"] == second["refresh_token"]
    assert again["scope"] == second["scope"]
    assert again["expires_in"] == 3600 - 4
    assert "refresh.grace" in bench.storage.actions()
    # the grant is alive and the successor works once
    third = bench.refresh(client, second["refresh_token"], later=6)
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


def test_grace_period_keeps_a_narrowed_scope(bench: Bench) -> None:
    client = grace_client(bench)
    first = bench.tokens(client)
    second = bench.refresh(client, first["refresh_token"], scope="read")
    assert bench.refresh(client, first["refresh_token"], later=1)["scope"] == second["scope"] == "read"


def test_outside_the_grace_window_reuse_revokes(bench: Bench) -> None:
    client = grace_client(bench, seconds=10)
    first = bench.tokens(client)
    second = bench.refresh(client, first["refresh_token"])
    with pytest.raises(InvalidGrantError):
        bench.refresh(client, first["refresh_token"], later=11)
    assert bench.storage.state.refresh[hash_token(second["refresh_token"])].revoked_at is not None


def test_grace_ends_once_the_successor_was_used(bench: Bench) -> None:
    client = grace_client(bench)
    first = bench.tokens(client)
    second = bench.refresh(client, first["refresh_token"])
    third = bench.refresh(client, second["refresh_token"], later=1)
    with pytest.raises(InvalidGrantError):
        bench.refresh(client, first["refresh_token"], later=2)
    assert bench.storage.state.refresh[hash_token(third["refresh_token"])].revoked_at is not None


def test_grace_is_for_the_same_client_only(bench: Bench) -> None:
    client = grace_client(bench)
    first = bench.tokens(client)
    bench.refresh(client, first["refresh_token"])
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, first["refresh_token"], later=1)
    # another client presenting it is not proof of theft by the holder: the grant stays
    assert bench.refresh(client, first["refresh_token"], later=2)["access_token"]


def test_no_grace_without_the_secret_key(bench: Bench) -> None:
    client = grace_client(bench)
    first = bench.tokens(client)
    params = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], **client.creds()}
    from camgate.oauth.token_endpoint import token_request

    bench.run(token_request(bench.ctx(secret_key=b""), params, None))
    with pytest.raises(InvalidGrantError):
        bench.run(token_request(bench.ctx(secret_key=b""), params, None))


def test_successors_are_not_derivable_without_the_key(bench: Bench) -> None:
    from dataclasses import replace

    client = grace_client(bench)
    first = bench.tokens(client)
    second = bench.refresh(client, first["refresh_token"])
    from camgate.oauth.grants.refresh_token import derived_successors

    other = derived_successors(replace(bench.ctx(), secret_key=b"another key"), first["refresh_token"])
    assert second["refresh_token"] not in other and second["access_token"] not in other
    assert derived_successors(bench.ctx(), first["refresh_token"]) == (second["access_token"], second["refresh_token"])


def test_grace_zero_is_strict_rotation(bench: Bench) -> None:
    first = bench.tokens()
    bench.refresh(bench.app, first["refresh_token"])
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, first["refresh_token"], later=1)


def _read_before(bench: Bench, monkeypatch: pytest.MonkeyPatch, refresh_token: str) -> None:
    """From now on a refresh reads ``refresh_token`` as it is now: a concurrent refresh then
    rotates it between that read and this request's write."""
    stale = copy.deepcopy(bench.storage.state.refresh[hash_token(refresh_token)])

    async def refresh_token_with_user(self: MemoryUnit, token_hash: str) -> RefreshWithUser | None:
        if token_hash != stale.token_hash:
            return None
        return RefreshWithUser(replace(self._refresh(stale), grant_revoked=False), self.s.users.get(stale.user_id))

    monkeypatch.setattr(MemoryUnit, "refresh_token_with_user", refresh_token_with_user)


def test_a_refresh_that_loses_a_race_writes_nothing_and_is_reuse(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    """RFC 9700 §4.14.2: of two concurrent refreshes one rotates; the other, judged on the token as
    it now is, presents a rotated token: the grant is revoked, and it issued nothing itself."""
    first = bench.tokens()
    _read_before(bench, monkeypatch, first["refresh_token"])
    winner = bench.refresh(bench.app, first["refresh_token"])
    issued = len(bench.storage.state.access)
    with pytest.raises(InvalidGrantError):
        bench.refresh(bench.app, first["refresh_token"])
    assert len(bench.storage.state.access) == issued
    assert bench.storage.state.access[hash_token(winner["access_token"])].revoked_at is not None
    assert "refresh.reuse" in bench.storage.actions()


def test_a_refresh_that_loses_a_race_within_grace_gets_the_same_pair(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = grace_client(bench)
    first = bench.tokens(client)
    _read_before(bench, monkeypatch, first["refresh_token"])
    winner = bench.refresh(client, first["refresh_token"])
    assert bench.refresh(client, first["refresh_token"]) == winner
