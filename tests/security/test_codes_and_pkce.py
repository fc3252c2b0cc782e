"""Authorization codes: single use, bound to client and redirect URI, short-lived; PKCE.

RFC 6749 §4.1.2, §4.1.3, §10.5; RFC 9700 §4.5 (code injection), §2.1.1 (PKCE downgrade);
RFC 7636 §4.1–§4.6.
"""

from __future__ import annotations

import httpx
import pytest

from camgate.config import Settings
from tests.factories import World
from tests.flows import authorization_code, pkce_pair
from tests.security.conftest import Shared
from tests.security.helpers import assert_oauth_error, auth_params, exchange, expire, get_code, is_active, refresh
from tests.support import LiveServer


def test_code_replayed_immediately_is_refused_and_revokes_what_it_issued(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization server MUST
    deny the request and SHOULD revoke … all tokens previously issued based on that authorization code".
    OpenID conformance suite: oidcc-codereuse."""
    app = world.a.app
    code = get_code(server.url, world.a)
    first = exchange(server.url, app, code)
    assert first.status_code == 200
    issued = first.json()
    assert_oauth_error(exchange(server.url, app, code), "invalid_grant")
    assert not is_active(server.url, app, issued["access_token"])
    assert_oauth_error(refresh(server.url, app, issued["refresh_token"]), "invalid_grant")


def test_code_replayed_late_revokes_the_whole_rotated_chain(server: LiveServer, world: World) -> None:
    """RFC 9700 §4.5 / RFC 6749 §10.5: a replay after the tokens were refreshed still revokes the grant,
    successors included. OpenID conformance suite: oidcc-codereuse-30seconds."""
    app = world.a.app
    code = get_code(server.url, world.a)
    issued = exchange(server.url, app, code).json()
    renewed = refresh(server.url, app, issued["refresh_token"]).json()
    assert is_active(server.url, app, renewed["access_token"])
    assert_oauth_error(exchange(server.url, app, code), "invalid_grant")
    assert not is_active(server.url, app, renewed["access_token"])
    assert_oauth_error(refresh(server.url, app, renewed["refresh_token"]), "invalid_grant")


def test_code_is_bound_to_the_client_it_was_issued_to(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated
    confidential client"; RFC 9700 §4.5 code injection."""
    code = get_code(server.url, world.a)
    other = world.a.pkce_app
    stolen = exchange(server.url, other, code, redirect_uri=world.a.app.redirect_uri)
    assert_oauth_error(stolen, "invalid_grant")
    assert "access_token" not in stolen.text


def test_code_is_bound_to_the_redirect_uri(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.3: redirect_uri "MUST be identical" to the one of the authorization request."""
    code = get_code(server.url, world.a)
    assert_oauth_error(
        exchange(server.url, world.a.app, code, redirect_uri="http://127.0.0.1:8765/other"), "invalid_grant"
    )


def test_code_without_the_redirect_uri_it_was_issued_with_is_refused(server: LiveServer, world: World) -> None:
    """RFC 6749 §4.1.3: redirect_uri is REQUIRED at the token endpoint if it was in the request."""
    code = get_code(server.url, world.a)
    assert_oauth_error(exchange(server.url, world.a.app, code, redirect_uri=None), "invalid_grant")


def test_expired_code_is_refused(server: LiveServer, world: World, settings: Settings) -> None:
    """RFC 6749 §4.1.2: "The authorization code MUST expire shortly after it is issued"."""
    code = get_code(server.url, world.a)
    expire(settings, "code", code)
    assert_oauth_error(exchange(server.url, world.a.app, code), "invalid_grant")


@pytest.mark.parametrize("code", ["", "x", "cgc_" + "A" * 49, "cga_notacode", "' OR '1'='1", "cgc_%00", "a" * 4096])
def test_garbage_codes_are_invalid_grant_or_invalid_request(shared: Shared, code: str) -> None:
    """RFC 6749 §5.2: an invalid code is invalid_grant (an empty one is treated as missing: invalid_request)."""
    server, world = shared.server, shared.world
    answer = exchange(server.url, world.a.app, code)
    assert answer.status_code == 400
    assert answer.json()["error"] in ("invalid_grant", "invalid_request")


def _pkce_code(server: LiveServer, world: World, challenge: str | None, app_name: str = "app") -> str:
    app = getattr(world.a, app_name)
    extra = {"code_challenge": challenge, "code_challenge_method": "S256"} if challenge else {}
    got = authorization_code(server.url, world.a.owner.email, world.a.password, auth_params(app, "read", **extra))
    assert "code" in got, got
    return got["code"]


def test_pkce_downgrade_verifier_dropped(server: LiveServer, world: World) -> None:
    """RFC 9700 §2.1.1 / RFC 7636 §4.6: a code issued with a challenge needs the verifier."""
    _verifier, challenge = pkce_pair()
    code = _pkce_code(server, world, challenge)
    assert_oauth_error(exchange(server.url, world.a.app, code), "invalid_grant")


def test_pkce_downgrade_verifier_added(server: LiveServer, world: World) -> None:
    """RFC 9700 §2.1.1: "authorization servers MUST … ensure that if there was no code_challenge in the
    authorization request, a request to the token endpoint containing a code_verifier is rejected"."""
    verifier, _challenge = pkce_pair()
    code = _pkce_code(server, world, None)
    assert_oauth_error(exchange(server.url, world.a.app, code, code_verifier=verifier), "invalid_grant")


@pytest.mark.parametrize(
    ("case", "verifier"),
    [
        ("wrong", "w" * 64),
        ("short-42", "s" * 42),
        ("long-129", "l" * 129),
        ("bad-chars", "!" * 50),
        ("challenge-as-verifier", None),
    ],
)
def test_pkce_wrong_verifiers_are_refused(server: LiveServer, world: World, case: str, verifier: str | None) -> None:
    """RFC 7636 §4.1 (43–128 unreserved characters) and §4.6 (the S256 hash must match)."""
    _good, challenge = pkce_pair()
    code = _pkce_code(server, world, challenge)
    assert_oauth_error(exchange(server.url, world.a.app, code, code_verifier=verifier or challenge), "invalid_grant")


def test_pkce_correct_verifier_is_accepted(server: LiveServer, world: World) -> None:
    """RFC 7636 §4.6: the control case of the PKCE tests above."""
    verifier, challenge = pkce_pair()
    code = _pkce_code(server, world, challenge)
    assert exchange(server.url, world.a.app, code, code_verifier=verifier).status_code == 200


@pytest.mark.parametrize(
    ("case", "extra"),
    [
        ("plain", {"code_challenge": "p" * 43, "code_challenge_method": "plain"}),
        ("method-omitted-means-plain", {"code_challenge": "p" * 43}),
        ("unknown-method", {"code_challenge": "p" * 43, "code_challenge_method": "S512"}),
        ("short-challenge", {"code_challenge": "p" * 42, "code_challenge_method": "S256"}),
        ("method-without-challenge", {"code_challenge_method": "S256"}),
        ("missing-for-pkce-app", {}),
    ],
)
def test_pkce_bad_challenges_are_refused_at_the_registered_uri(
    shared: Shared, case: str, extra: dict[str, str]
) -> None:
    """RFC 7636 §4.4.1 (invalid_request at the redirect URI), RFC 9700 §2.1.1 (S256; ``plain`` is not
    accepted here), and an app registered to require PKCE."""
    server, world = shared.server, shared.world
    app = world.a.pkce_app
    answer = httpx.get(f"{server.url}/oauth2/auth", params=auth_params(app, "read", state="p", **extra))
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(app.redirect_uri + "?")
    assert "error=invalid_request" in location and "state=p" in location


def test_pkce_app_cannot_exchange_without_verifier_even_with_secret(server: LiveServer, world: World) -> None:
    """RFC 9700 §2.1.1: PKCE protects confidential clients too; the secret does not replace it."""
    app = world.a.pkce_app
    _verifier, challenge = pkce_pair()
    params = auth_params(app, "read", code_challenge=challenge, code_challenge_method="S256")
    got = authorization_code(server.url, world.a.owner.email, world.a.password, params)
    assert_oauth_error(exchange(server.url, app, got["code"]), "invalid_grant")
