"""Client authentication (RFC 6749 §2.3) and its brute-force throttle."""

from __future__ import annotations

import pytest

from camgate.oauth.client_auth import authenticate_client, client_credentials
from camgate.oauth.errors import InvalidClientError, InvalidRequestError, TooManyAttemptsError
from tests.unit.oauth.conftest import Bench


class CountingThrottle:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.failures: dict[str, int] = {}

    async def retry_after(self, key: str) -> int:
        return 30 if self.failures.get(key, 0) >= self.limit else 0

    async def failure(self, key: str) -> None:
        self.failures[key] = self.failures.get(key, 0) + 1

    async def success(self, key: str) -> None:
        self.failures.pop(key, None)


def auth(
    bench: Bench,
    params: dict[str, str],
    basic: tuple[str, str] | None = None,
    *,
    require: bool = True,
    throttle: CountingThrottle | None = None,
) -> bool:
    async def go() -> bool:
        ctx = bench.ctx(throttle=throttle)
        client = await authenticate_client(ctx, client_credentials(params, basic), require_secret=require)
        return client.authenticated

    return bench.run(go())


def test_three_ways_to_authenticate(bench: Bench) -> None:
    app = bench.app
    assert auth(bench, app.creds())
    assert auth(bench, {}, (app.client_id, app.secret))
    assert auth(bench, {"client_id": app.client_id}, (app.client_id, app.secret))
    assert auth(bench, {"client_id": app.client_id}, require=False) is False  # public: identified only


def test_conflicting_credentials_are_invalid_request(bench: Bench) -> None:
    app = bench.app
    with pytest.raises(InvalidRequestError):
        auth(bench, {"client_secret": app.secret}, (app.client_id, app.secret))
    with pytest.raises(InvalidRequestError):
        auth(bench, {"client_id": bench.other_app.client_id}, (app.client_id, app.secret))


def test_failures(bench: Bench) -> None:
    with pytest.raises(InvalidClientError):
        auth(bench, {})
    with pytest.raises(InvalidRequestError):
        auth(bench, {}, require=False)
    with pytest.raises(InvalidClientError):
        auth(bench, {"client_id": bench.app.client_id})
    with pytest.raises(InvalidClientError):
        auth(bench, {"client_id": bench.app.client_id, "client_secret": bench.other_app.secret})
    with pytest.raises(InvalidClientError):
        auth(bench, bench.b_app.creds())  # another provider's client


def test_throttle_locks_out_wrong_secrets_but_never_the_right_one(bench: Bench) -> None:
    throttle = CountingThrottle(limit=3)
    wrong = {"client_id": bench.app.client_id, "client_secret": "cgs_guess"}
    for _ in range(3):
        with pytest.raises(InvalidClientError):
            auth(bench, wrong, throttle=throttle)
    with pytest.raises(TooManyAttemptsError) as info:
        auth(bench, wrong, throttle=throttle)
    assert info.value.status_code == 429 and info.value.headers["Retry-After"] == "30"
    # a client_id is public: whoever guesses must not be able to lock the real client out
    assert auth(bench, bench.app.creds(), throttle=throttle)
    # other clients are not affected
    assert auth(bench, bench.other_app.creds(), throttle=throttle)
