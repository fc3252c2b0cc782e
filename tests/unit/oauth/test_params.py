"""Parameter decoding and merging (RFC 6749 §3.1) and camgate's limits."""

from __future__ import annotations

import pytest

from camgate.oauth.errors import InvalidRequestError
from camgate.oauth.params import MAX_BODY_BYTES, MAX_PARAMS, MAX_VALUE_CHARS, decode_form, merge_params, require


def test_query_and_body_merge_with_the_documents_alias() -> None:
    merged = merge_params(decode_form(b"client_id=c&redirect_url=https%3A%2F%2Fx%2Fcb"), decode_form(b"code=abc"))
    assert merged == {"client_id": "c", "redirect_uri": "https://x/cb", "code": "abc"}


def test_unknown_parameters_are_ignored_and_empty_ones_omitted() -> None:
    assert merge_params(decode_form("foo=1&state=&scope=read")) == {"scope": "read"}


@pytest.mark.parametrize(
    ("query", "body"),
    [
        ("code=a&code=b", ""),  # twice in one place
        ("code=a", "code=b"),  # once in each
        ("redirect_uri=x", "redirect_url=x"),  # the alias counts as the same parameter
    ],
)
def test_a_parameter_given_twice_is_invalid_request(query: str, body: str) -> None:
    with pytest.raises(InvalidRequestError, match="more than once"):
        merge_params(decode_form(query), decode_form(body))


def test_an_empty_duplicate_is_treated_as_omitted() -> None:
    # §3.1: "sent without a value MUST be treated as if they were omitted".
    assert merge_params(decode_form("state=&state=x")) == {"state": "x"}


def test_limits() -> None:
    with pytest.raises(InvalidRequestError, match=str(MAX_BODY_BYTES)):
        decode_form(b"a=" + b"x" * MAX_BODY_BYTES)
    with pytest.raises(InvalidRequestError, match=str(MAX_PARAMS)):
        decode_form("&".join(f"p{i}=1" for i in range(MAX_PARAMS + 1)))
    with pytest.raises(InvalidRequestError, match=str(MAX_VALUE_CHARS)):
        merge_params([("state", "x" * (MAX_VALUE_CHARS + 1))])
    assert merge_params([("state", "x" * MAX_VALUE_CHARS)])["state"] == "x" * MAX_VALUE_CHARS


@pytest.mark.parametrize("raw", [b"state=%ff%fe", b"state=\xff", "state=%C3%28"])
def test_non_utf8_is_invalid_request(raw: bytes | str) -> None:
    with pytest.raises(InvalidRequestError):
        decode_form(raw)


@pytest.mark.parametrize("value", ["a%00b", "a%0D%0Ab", "a%7Fb", "%09"])
def test_control_characters_are_refused(value: str) -> None:
    with pytest.raises(InvalidRequestError, match="control characters"):
        merge_params(decode_form(f"state={value}"))


def test_non_ascii_utf8_is_accepted() -> None:
    assert merge_params(decode_form("state=%C5%BElu%C5%A5ou%C4%8Dk%C3%BD"))["state"] == "žluťoučký"


def test_require_names_the_missing_parameter() -> None:
    with pytest.raises(InvalidRequestError, match="'code' is missing"):
        require({}, "code")
