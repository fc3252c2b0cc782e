"""The token endpoint and the authorization code grant (RFC 6749 §3.2, §4.1.3, §5; RFC 7636)."""

from __future__ import annotations

from typing import Any

import pytest

from camgate.domain import CodeWithUser
from camgate.oauth.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    OAuthError,
    UnsupportedGrantTypeError,
)
from camgate.tokens import TokenKind, hash_token, mint
from tests.unit.oauth.conftest import Bench
from tests.unit.oauth.memory_storage import MemoryUnit
from tests.unit.oauth.test_pkce import CHALLENGE, VERIFIER


def fails(bench: Bench, params: dict[str, str], basic: tuple[str, str] | None = None, **kw: Any) -> OAuthError:
    with pytest.raises(OAuthError) as info:
        bench.token(params, basic, **kw)
    return info.value


def test_with_secret_access_and_refresh(bench: Bench) -> None:
    body = bench.tokens()
    assert list(body) == ["access_token", "expires_in", "refresh_token", "token_type", "scope"]
    assert body["access_token"].startswith("cga_") and body["refresh_token"].startswith("cgr_")
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "read write"
    assert "token.issue" in bench.storage.actions()


def test_without_secret_access_only(bench: Bench) -> None:
    body = bench.exchange(bench.app, bench.code(bench.app), secret=False, grant_type="auth_code")
    assert "refresh_token" not in body
    assert body["expires_in"] == 3600


def test_basic_auth(bench: Bench) -> None:
    code = bench.code(bench.app)
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": bench.app.redirect_uri}
    assert "refresh_token" in bench.token(params, (bench.app.client_id, bench.app.secret))


def test_wrong_secret_is_invalid_client_and_does_not_burn_the_code(bench: Bench) -> None:
    code = bench.code(bench.app)
    err = fails(
        bench,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": bench.app.client_id,
            "client_secret": "cgs_wrong",
            "redirect_uri": bench.app.redirect_uri,
        },
    )
    assert isinstance(err, InvalidClientError)
    assert err.status_code == 401
    assert err.headers == {}  # no Basic tried: no WWW-Authenticate
    assert "refresh_token" in bench.exchange(bench.app, code)


def test_wrong_basic_secret_names_the_scheme(bench: Bench) -> None:
    err = fails(bench, {"grant_type": "authorization_code", "code": "x"}, (bench.app.client_id, "nope"))
    assert isinstance(err, InvalidClientError)
    assert err.headers["WWW-Authenticate"].startswith("Basic")


def test_basic_and_client_secret_together_are_refused(bench: Bench) -> None:
    err = fails(
        bench,
        {"grant_type": "authorization_code", "code": "x", "client_secret": bench.app.secret},
        (bench.app.client_id, bench.app.secret),
    )
    assert isinstance(err, InvalidRequestError)


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code", "code": "x"}, "invalid_request"),  # no client_id
        ({"grant_type": "authorization_code", "client_id": "nope", "code": "x"}, "invalid_client"),
        ({"grant_type": "refresh_token", "refresh_token": "x"}, "invalid_client"),
    ],
)
def test_malformed_requests(bench: Bench, params: dict[str, str], error: str) -> None:
    assert fails(bench, params).error == error


def test_unsupported_grant_type_class(bench: Bench) -> None:
    assert isinstance(fails(bench, {"grant_type": "urn:x"}), UnsupportedGrantTypeError)


def test_missing_code(bench: Bench) -> None:
    err = fails(bench, {"grant_type": "authorization_code", **bench.app.creds()})
    assert isinstance(err, InvalidRequestError) and "'code'" in err.description


@pytest.mark.parametrize(
    "code",
    ["garbage", pytest.param(mint(TokenKind.ACCESS), id="access"), pytest.param(mint(TokenKind.CODE), id="code")],
)
def test_malformed_or_unknown_code(bench: Bench, code: str) -> None:
    assert isinstance(
        fails(bench, {"grant_type": "authorization_code", "code": code, **bench.app.creds()}), InvalidGrantError
    )


def test_code_of_another_client(bench: Bench) -> None:
    code = bench.code(bench.app)
    err = fails(
        bench,
        {
            "grant_type": "authorization_code",
            "code": code,
            **bench.other_app.creds(),
            "redirect_uri": bench.app.redirect_uri,
        },
    )
    assert isinstance(err, InvalidGrantError)
    assert err.log_detail == "code issued to another client"
    # and the code is spent: a code that failed once cannot be tried again (it may have leaked).
    assert isinstance(
        fails(
            bench,
            {
                "grant_type": "authorization_code",
                "code": code,
                **bench.app.creds(),
                "redirect_uri": bench.app.redirect_uri,
            },
        ),
        InvalidGrantError,
    )


def test_code_of_another_provider(bench: Bench) -> None:
    code = bench.code(bench.b_app, at=bench.b, user=bench.b_owner)
    # at provider A the B client does not exist at all
    err = fails(bench, {"grant_type": "authorization_code", "code": code, **bench.b_app.creds()})
    assert isinstance(err, InvalidClientError)
    # and A's own client cannot use it either
    err = fails(
        bench,
        {"grant_type": "authorization_code", "code": code, **bench.app.creds(), "redirect_uri": bench.app.redirect_uri},
    )
    assert isinstance(err, InvalidGrantError)


def test_expired_code(bench: Bench) -> None:
    code = bench.code(bench.app)
    params = {
        "grant_type": "authorization_code",
        "code": code,
        **bench.app.creds(),
        "redirect_uri": bench.app.redirect_uri,
    }
    err = fails(bench, params, later=121)
    assert isinstance(err, InvalidGrantError) and err.log_detail == "code expired"


@pytest.mark.parametrize("redirect", ["https://client.example/cb/", "https://other.example/cb", ""])
def test_wrong_or_missing_redirect_uri_at_the_token_step(bench: Bench, redirect: str) -> None:
    code = bench.code(bench.app)
    params = {"grant_type": "authorization_code", "code": code, **bench.app.creds()}
    if redirect:
        params["redirect_uri"] = redirect
    err = fails(bench, params)
    assert isinstance(err, InvalidGrantError) and "redirect_uri" in err.description


def test_redirect_uri_omitted_at_both_steps(bench: Bench) -> None:
    code = bench.code(bench.app, redirect_uri="")
    assert bench.token({"grant_type": "authorization_code", "code": code, **bench.app.creds()})["access_token"]


def test_redirect_uri_given_only_at_the_token_step_must_match(bench: Bench) -> None:
    assert bench.exchange(bench.app, bench.code(bench.app, redirect_uri=""))["access_token"]
    code = bench.code(bench.app, redirect_uri="")
    with pytest.raises(InvalidGrantError, match="redirect_uri"):
        bench.exchange(bench.app, code, redirect_uri="https://other.example/cb")


def test_code_replay_revokes_the_tokens_it_issued(bench: Bench) -> None:
    code = bench.code(bench.app)
    first = bench.exchange(bench.app, code)
    with pytest.raises(InvalidGrantError) as info:
        bench.exchange(bench.app, code)
    err = info.value
    assert "already used" in err.description
    s = bench.storage.state
    assert s.access[hash_token(first["access_token"])].revoked_at is not None
    assert s.refresh[hash_token(first["refresh_token"])].revoked_at is not None
    assert "code.replay" in bench.storage.actions()


def test_pkce_round_trip(bench: Bench) -> None:
    code = bench.code(bench.pkce_app, code_challenge=CHALLENGE, code_challenge_method="S256")
    body = bench.exchange(bench.pkce_app, code, secret=False, code_verifier=VERIFIER)
    assert "refresh_token" not in body


@pytest.mark.parametrize(("verifier", "message"), [(None, "required"), (VERIFIER[:-2] + "xx", "does not match")])
def test_pkce_wrong_or_missing_verifier(bench: Bench, verifier: str | None, message: str) -> None:
    code = bench.code(bench.pkce_app, code_challenge=CHALLENGE, code_challenge_method="S256")
    extra = {"code_verifier": verifier} if verifier else {}
    with pytest.raises(InvalidGrantError, match=message):
        bench.exchange(bench.pkce_app, code, secret=False, **extra)


def test_verifier_without_challenge_is_refused(bench: Bench) -> None:
    code = bench.code(bench.app)
    with pytest.raises(InvalidGrantError, match="had no code_challenge"):
        bench.exchange(bench.app, code, code_verifier=VERIFIER)


def test_disabled_user_gets_no_tokens(bench: Bench) -> None:
    code = bench.code(bench.app)
    bench.storage.set_user(bench.owner, is_active=False)
    with pytest.raises(InvalidGrantError):
        bench.exchange(bench.app, code)


def test_guest_rights_shrunk_since_consent(bench: Bench) -> None:
    code = bench.code(bench.app, user=bench.guest, scope="read,liveview")
    bench.storage.set_user(bench.guest, rights=frozenset({"read"}))
    assert bench.exchange(bench.app, code)["scope"] == "read"


def _read_before(bench: Bench, monkeypatch: pytest.MonkeyPatch, code: str) -> None:
    """From now on the exchange reads ``code`` as it is now: a concurrent exchange then spends it
    between that read and this request's write."""
    stale = bench.storage.state.codes[hash_token(code)]

    async def code_with_user(self: MemoryUnit, code_hash: str) -> CodeWithUser | None:
        return CodeWithUser(stale, self.s.users.get(stale.user_id)) if code_hash == stale_hash else None

    stale_hash = hash_token(code)
    monkeypatch.setattr(MemoryUnit, "code_with_user", code_with_user)


def test_an_exchange_that_loses_a_race_revokes_the_winners_tokens(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RFC 6749 §4.1.2: two concurrent uses of one code are a replay, whichever reads first."""
    code = bench.code(bench.app)
    _read_before(bench, monkeypatch, code)
    winner = bench.exchange(bench.app, code)
    assert isinstance(fails(bench, _exchange_params(bench, code)), InvalidGrantError)
    assert bench.storage.state.access[hash_token(winner["access_token"])].revoked_at is not None
    assert "code.replay" in bench.storage.actions()


def test_a_failed_check_on_a_code_spent_meanwhile_is_a_replay_too(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = bench.code(bench.app)
    _read_before(bench, monkeypatch, code)
    winner = bench.exchange(bench.app, code)
    params = {**_exchange_params(bench, code), "redirect_uri": "https://elsewhere.example/cb"}
    assert isinstance(fails(bench, params), InvalidGrantError)
    assert bench.storage.state.access[hash_token(winner["access_token"])].revoked_at is not None


def _exchange_params(bench: Bench, code: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": bench.app.redirect_uri,
        **bench.app.creds(),
    }
