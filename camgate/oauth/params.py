"""Reading OAuth request parameters: decoding, merging, aliases and limits.

The document sends everything in the query string of a POST; RFC 6749 §4.1.3 sends it in an
``application/x-www-form-urlencoded`` body. camgate reads both and merges them, with the RFC's
rules applied to the merged set:

* §3.1: "Parameters sent without a value MUST be treated as if they were omitted from the request"
  and "Request and response parameters MUST NOT be included more than once" — a known parameter
  given twice (twice in one place, or once in each) is ``invalid_request``;
* §3.1: "The authorization server MUST ignore unrecognized request parameters";
* the document's spellings are aliases: ``redirect_url`` for ``redirect_uri``, and ``access_token``
  for RFC 7009's ``token`` at the revocation endpoint.

Limits (each violation is ``invalid_request``): a body of at most ``MAX_BODY_BYTES``, at most
``MAX_PARAMS`` parameters, values of at most ``MAX_VALUE_CHARS`` characters, valid UTF-8, and no
control characters (NUL, CR, LF…) in any value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

from camgate.oauth.errors import InvalidRequestError

MAX_BODY_BYTES = 64 * 1024
MAX_PARAMS = 64
MAX_VALUE_CHARS = 4096

KNOWN = frozenset(
    {
        "response_type",
        "client_id",
        "client_secret",
        "redirect_uri",
        "scope",
        "state",
        "code",
        "code_challenge",
        "code_challenge_method",
        "code_verifier",
        "grant_type",
        "refresh_token",
        "token",
        "token_type_hint",
        "access_token",
        "response_mode",
        "nonce",
        "prompt",
    }
)
ALIASES = {"redirect_url": "redirect_uri"}


def decode_form(raw: bytes | str) -> list[tuple[str, str]]:
    """Split an ``application/x-www-form-urlencoded`` string (a query string or a body)."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BODY_BYTES:
            raise InvalidRequestError(f"the request is larger than {MAX_BODY_BYTES} bytes")
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidRequestError("the request is not URL-encoded text") from None
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=MAX_PARAMS)
    except UnicodeDecodeError:
        raise InvalidRequestError("a parameter is not valid UTF-8") from None
    except ValueError:
        raise InvalidRequestError(f"the request has more than {MAX_PARAMS} parameters") from None
    return pairs


def merge_params(*sources: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Merge parameter lists into one dict by RFC 6749 §3.1 (see the module docstring)."""
    merged: dict[str, str] = {}
    for source in sources:
        for raw_key, value in source:
            key = ALIASES.get(raw_key, raw_key)
            if key not in KNOWN or value == "":
                continue
            if key in merged:
                raise InvalidRequestError(f"the parameter {key!r} is given more than once")
            check_value(key, value)
            merged[key] = value
    return merged


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_value(key: str, value: str) -> None:
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidRequestError(f"the parameter {key!r} is longer than {MAX_VALUE_CHARS} characters")
    if _CONTROL.search(value) is not None:
        raise InvalidRequestError(f"the parameter {key!r} contains control characters")


def require(params: dict[str, str], key: str) -> str:
    value = params.get(key)
    if value is None:
        raise InvalidRequestError(f"the parameter {key!r} is missing")
    return value
