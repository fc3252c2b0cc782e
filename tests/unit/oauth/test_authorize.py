"""The authorization endpoint's rules (RFC 6749 §4.1.1–§4.1.2.1, RFC 9207), on memory storage."""

from __future__ import annotations

import pytest

from camgate.oauth import authorize
from camgate.oauth.authorize import RedirectError, UntrustedRedirectError
from tests.unit.oauth.conftest import Bench, query
from tests.unit.oauth.test_pkce import CHALLENGE


def validate(bench: Bench, params: dict[str, str], **kw: object) -> authorize.AuthorizationRequest:
    return bench.run(authorize.validate_authorization_request(bench.ctx(**kw), params))  # type: ignore[arg-type]


def test_approve_redirects_with_code_state_and_iss(bench: Bench) -> None:
    got = query(bench.redirect(bench.app))
    assert set(got) == {"code", "state", "iss"}
    assert got["state"] == "st"
    assert got["iss"] == "https://alpha.example"
    assert got["code"].startswith("cgc_")
    assert bench.storage.actions() == ["consent.allow"]


def test_registered_query_is_kept_on_the_redirect(bench: Bench) -> None:
    app, secret = bench.storage.add_app(bench.owner, redirect_uris=("https://c.example/cb?tenant=7",))
    client = type(bench.app)(app, secret)
    location = bench.redirect(client)
    assert location.startswith("https://c.example/cb?tenant=7&code=")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": ""}, "no client_id"),
        ({"client_id": "nope"}, "unknown client_id"),
        ({"redirect_uri": "https://evil.example/cb"}, "not one of"),
        ({"redirect_uri": "https://client.example/cb/"}, "not one of"),
    ],
)
def test_untrusted_client_or_redirect_is_an_error_page(bench: Bench, change: dict[str, str], message: str) -> None:
    with pytest.raises(UntrustedRedirectError, match=message):
        validate(bench, bench.auth_params(bench.app, **change))


def test_a_client_of_another_provider_is_unknown_here(bench: Bench) -> None:
    with pytest.raises(UntrustedRedirectError, match="unknown client_id"):
        validate(bench, bench.auth_params(bench.b_app))


def test_redirect_uri_may_be_omitted_only_with_one_registered(bench: Bench) -> None:
    request = validate(bench, bench.auth_params(bench.app, redirect_uri=""))
    assert request.redirect_uri == bench.app.redirect_uri
    assert request.redirect_uri_given is False
    app, _ = bench.storage.add_app(bench.owner, redirect_uris=("https://a.example/1", "https://a.example/2"))
    with pytest.raises(UntrustedRedirectError, match="several"):
        validate(bench, {"response_type": "code", "client_id": app.client_id})


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": ""}, "invalid_request"),
        ({"scope": "read,admin"}, "invalid_scope"),
        ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "bad", "code_challenge_method": "S256"}, "invalid_request"),
    ],
)
def test_other_errors_redirect_with_error_and_state(bench: Bench, change: dict[str, str], error: str) -> None:
    with pytest.raises(RedirectError) as info:
        validate(bench, bench.auth_params(bench.app, **change))
    got = query(info.value.location("https://alpha.example"))
    assert got["error"] == error
    assert got["state"] == "st"
    assert got["iss"] == "https://alpha.example"
    assert info.value.redirect_uri == bench.app.redirect_uri


def test_pkce_required_app_without_challenge(bench: Bench) -> None:
    with pytest.raises(RedirectError) as info:
        validate(bench, bench.auth_params(bench.pkce_app))
    assert info.value.error.error == "invalid_request"
    assert "requires PKCE" in info.value.error.description


def test_scope_defaults_to_read_and_accepts_both_separators(bench: Bench) -> None:
    assert validate(bench, bench.auth_params(bench.app, scope="")).scopes == {"read"}
    assert validate(bench, bench.auth_params(bench.app, scope="read write")).scopes == {"read", "write"}
    assert validate(bench, bench.auth_params(bench.app, scope="read,events")).scopes == {"read", "events"}


def test_as_params_round_trips(bench: Bench) -> None:
    params = bench.auth_params(bench.pkce_app, code_challenge=CHALLENGE, code_challenge_method="S256")
    request = validate(bench, params)
    again = validate(bench, request.as_params())
    assert again == request


def test_guest_gets_only_its_own_rights(bench: Bench) -> None:
    request = validate(bench, bench.auth_params(bench.app, scope="read,write,liveview"))
    assert authorize.grantable_scopes(bench.guest, request.scopes) == ({"read", "liveview"}, {"write"})
    code = bench.code(bench.app, user=bench.guest, scope="read,write,liveview")
    assert bench.exchange(bench.app, code)["scope"] == "read liveview"


def test_guest_holding_none_of_the_rights_gets_invalid_scope(bench: Bench) -> None:
    request = validate(bench, bench.auth_params(bench.app, scope="write"))
    with pytest.raises(RedirectError) as info:
        bench.run(authorize.approve(bench.ctx(), request, bench.guest))
    assert info.value.error.error == "invalid_scope"


def test_deny_is_access_denied_with_state(bench: Bench) -> None:
    request = validate(bench, bench.auth_params(bench.app))
    got = query(bench.run(authorize.deny(bench.ctx(), request, bench.owner)))
    assert got == {
        "error": "access_denied",
        "error_description": "the user denied the request",
        "state": "st",
        "iss": "https://alpha.example",
    }
    assert bench.storage.actions() == ["consent.deny"]
    assert bench.storage.state.codes == {}
