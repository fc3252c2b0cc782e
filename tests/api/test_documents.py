"""``camgate.api.documents``: each valid document parsed and validated once per worker, in bounded memory.

These run the schema directly (no resolver needs a database) with a fresh cache per test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry.schema.schema as strawberry_schema
from graphql import parse
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from camgate.api import documents, limits
from camgate.api.documents import DocumentCache, estimated_bytes
from camgate.api.endpoint import format_result
from camgate.api.schema import schema


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch) -> DocumentCache:
    fresh = DocumentCache()
    monkeypatch.setattr(documents, "VALID_DOCUMENTS", fresh)
    return fresh


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """How many times Strawberry parsed and validated a document."""
    counts = {"parse": 0, "validate": 0}
    real_parse, real_validate = strawberry_schema.parse, strawberry_schema.validate_document

    def parse_counted(*args: Any, **kwargs: Any) -> Any:
        counts["parse"] += 1
        return real_parse(*args, **kwargs)

    def validate_counted(*args: Any, **kwargs: Any) -> Any:
        counts["validate"] += 1
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "parse", parse_counted)
    monkeypatch.setattr(strawberry_schema, "validate_document", validate_counted)
    yield counts


def _run(query: str, **kwargs: Any) -> tuple[dict[str, Any], int]:
    return format_result(asyncio.run(schema.execute(query, **kwargs)))


def test_a_valid_document_is_parsed_and_validated_once(cache: DocumentCache, work: dict[str, int]) -> None:
    query = "{ a: __typename b: __typename }"
    answers = [_run(query) for _ in range(3)]
    assert answers == [({"data": {"a": "Query", "b": "Query"}}, 200)] * 3
    assert work == {"parse": 1, "validate": 1}
    assert len(cache) == 1
    # Another text is another document, even when it means the same.
    assert _run("{a:__typename b:__typename}") == answers[0]
    assert work == {"parse": 2, "validate": 2}


def test_refused_documents_are_not_kept_and_are_refused_again(cache: DocumentCache, work: dict[str, int]) -> None:
    too_deep = "{ " + "a { " * limits.MAX_DEPTH + "b" + " }" * limits.MAX_DEPTH + " }"
    too_many_aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(limits.MAX_ALIASES + 1)) + " }"
    too_long = "{ " + "__typename " * (limits.MAX_TOKENS + 10) + "}"
    for query in (too_deep, too_many_aliases, too_long, "{ nope }", "{ __typename"):
        first, again = _run(query), _run(query)
        assert first[1] == 400, first
        assert again == first
    assert len(cache) == 0
    assert work["parse"] == 10
    assert work["validate"] == 6  # the token limit and the syntax error stop at the parser
    codes = [_run(q)[0]["errors"][0].get("extensions", {}).get("code") for q in (too_deep, too_many_aliases)]
    assert codes == [limits.LIMIT_CODE, limits.LIMIT_CODE]


def test_a_kept_mutation_is_still_refused_where_only_queries_are_allowed(cache: DocumentCache) -> None:
    mutation = "mutation { __typename }"
    assert _run(mutation) == ({"data": {"__typename": "Mutation"}}, 200)
    assert len(cache) == 1
    with pytest.raises(InvalidOperationTypeError):
        _run(mutation, allowed_operation_types={OperationType.QUERY})


def test_the_cache_stays_within_its_byte_budget_dropping_the_least_recently_used() -> None:
    texts = [f"{{ a{i}: __typename }}" for i in range(6)]
    size = estimated_bytes(texts[0], parse(texts[0]))
    cache = DocumentCache(max_bytes=3 * size)
    for text in texts[:3]:
        cache.put(text, parse(text))
    assert len(cache) == 3
    assert cache.get(texts[0]) is not None  # now the most recently used
    cache.put(texts[3], parse(texts[3]))
    assert cache.get(texts[1]) is None  # the least recently used went
    assert [cache.get(t) is not None for t in texts[:4]] == [True, False, True, True]
    for text in texts:  # an endless stream of new documents only evicts
        cache.put(text, parse(text))
    assert len(cache) == 3
    assert cache.bytes <= cache.max_bytes
    big = "{ " + "__typename " * 200 + "}"
    cache.put(big, parse(big))
    assert cache.get(big) is None  # larger than the whole budget: never kept
    assert len(cache) == 3


def test_the_estimate_counts_tokens_and_text() -> None:
    small, long_string = "{a}", '{ a(x: "' + "x" * 10_000 + '") }'
    assert estimated_bytes(small, parse(small)) == 5 * documents.BYTES_PER_TOKEN + 3 * documents.BYTES_PER_CHAR
    assert estimated_bytes(long_string, parse(long_string)) > 10_000 * documents.BYTES_PER_CHAR
    assert 1000 * estimated_bytes(small, parse(small)) <= documents.MAX_BYTES  # room for many small documents
