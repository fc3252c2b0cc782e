"""The stated limits of ``camgate.api.limits``: depth, aliases, fields (fragments expanded), tokens.

Validation runs before any resolver, so these run the schema directly, without a server.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from graphql import get_introspection_query

from camgate.api import limits
from camgate.api.endpoint import format_result
from camgate.api.schema import schema


def _run(query: str) -> tuple[dict[str, Any], int]:
    return format_result(asyncio.run(schema.execute(query)))


def _refusal(query: str) -> dict[str, Any]:
    body, status = _run(query)
    assert status == 400, body
    assert "data" not in body
    return body["errors"][0]


def _nested(depth: int) -> str:
    """A query ``depth`` levels deep (its fields need not exist: the limit is checked regardless)."""
    return "{ " + "a { " * (depth - 1) + "b" + " }" * (depth - 1) + " }"


def _limit_errors(query: str) -> list[dict[str, Any]]:
    body, _status = _run(query)
    return [e for e in body.get("errors", []) if e.get("extensions", {}).get("code") == limits.LIMIT_CODE]


def test_depth_over_the_limit_is_refused() -> None:
    assert _limit_errors(_nested(limits.MAX_DEPTH)) == []
    (error,) = _limit_errors(_nested(limits.MAX_DEPTH + 1))
    assert error["message"] == f"the query is nested {limits.MAX_DEPTH + 1} levels deep; at most 10 are allowed"
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "depth", "max": limits.MAX_DEPTH}
    # Fragments do not hide depth.
    hidden = "query { ...A } fragment A on Query { ...B } fragment B on Query " + _nested(limits.MAX_DEPTH + 1)
    assert [e["extensions"]["limit"] for e in _limit_errors(hidden)] == ["depth"]
    assert _run(hidden)[1] == 400


def test_aliases_over_the_limit_are_refused() -> None:
    fine = "{ " + " ".join(f"a{i}: __typename" for i in range(limits.MAX_ALIASES)) + " }"
    assert _run(fine) == ({"data": {f"a{i}": "Query" for i in range(limits.MAX_ALIASES)}}, 200)
    flood = "{ " + " ".join(f"a{i}: __typename" for i in range(limits.MAX_ALIASES + 1)) + " }"
    error = _refusal(flood)
    assert (
        error["message"] == f"the query uses {limits.MAX_ALIASES + 1} aliases; at most {limits.MAX_ALIASES} are allowed"
    )
    # Aliases inside a fragment count once per spread.
    spread = "{ ...A ...A } fragment A on Query { " + " ".join(f"a{i}: __typename" for i in range(11)) + " }"
    assert _refusal(spread)["extensions"]["limit"] == "aliases"


def test_fragment_bombs_are_measured_in_linear_time_and_refused() -> None:
    # Each fragment spreads the next twice: 2**40 fields if expanded naively.
    levels = 40
    chain = "".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}\n" for i in range(levels))
    bomb = "query { ...F0 }\n" + chain + f"fragment F{levels} on Query {{ __typename }}"
    started = time.perf_counter()
    error = _refusal(bomb)
    assert time.perf_counter() - started < 5  # a guard against exponential work, not a benchmark
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "fields", "max": limits.MAX_FIELDS}


def test_deep_introspection_is_bounded_but_the_standard_query_passes() -> None:
    body, status = _run(get_introspection_query(descriptions=True))
    assert status == 200, body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    fan_out = "{ __schema { types { " + "ofType { fields { type { " * 6 + "name" + " } } }" * 6 + " } } }"
    assert [e["extensions"]["limit"] for e in _limit_errors(fan_out)] == ["depth"]


def test_documents_over_the_token_limit_are_refused_by_the_parser() -> None:
    huge = "{ " + "__typename " * (limits.MAX_TOKENS + 10) + "}"
    assert "token" in _refusal(huge)["message"].lower()


def test_unexpected_exceptions_are_masked() -> None:
    from graphql import GraphQLError
    from strawberry.types import ExecutionResult

    leaked = GraphQLError("secret detail", original_error=RuntimeError("secret detail"), path=["me"])
    body, status = format_result(ExecutionResult(data={"me": None}, errors=[leaked]))
    assert status == 200
    assert body == {
        "data": {"me": None},
        "errors": [
            {"message": "an unexpected error occurred", "extensions": {"code": "INTERNAL_SERVER_ERROR"}, "path": ["me"]}
        ],
    }
