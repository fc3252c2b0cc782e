"""Each distinct GraphQL document is parsed and validated once per worker, not on every request.

An integration sends the same few query texts again and again; parsing and validating
``{cameraList{name}}`` took more CPU than running it (issue 7: about 40% of a request). Validation
is a pure function of the schema, the rules and the document, and parsing a pure function of the
text and the token limit — all fixed here — so a document that passed both once passes again, and
the parsed tree can be reused (graphql-core's executor only reads it).

What is kept, and what is not:

* only documents that parsed **and** validated without error: anything refused (a syntax error,
  the token limit, an unknown field, ``api.limits.ComplexityRule``) is parsed and validated again
  on every request, exactly as before, and its errors are never shared between requests;
* at most ``MAX_BYTES`` (estimated) per worker, least recently used dropped first: a client that
  sends endless distinct documents only evicts entries, it cannot grow memory. The estimate counts
  the lexer tokens each tree keeps (measured ~600 bytes each, locations included) and the text;
* per worker process, in memory: nothing to invalidate, the schema and rules only change with a
  restart.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

from camgate.api.limits import MAX_TOKENS, ComplexityRule

MAX_BYTES = 8 * 1024 * 1024
BYTES_PER_TOKEN = 640  # a parsed tree with locations: ~620 bytes per lexer token (tracemalloc)
BYTES_PER_CHAR = 2  # the text is held twice at most: the key, and string values in the tree


def estimated_bytes(query: str, document: DocumentNode) -> int:
    """What keeping ``document`` costs: its lexer tokens (comments, SOF and EOF included) and text."""
    tokens = 0
    token = document.loc.start_token if document.loc else None
    while token is not None:
        tokens += 1
        token = token.next
    return tokens * BYTES_PER_TOKEN + len(query) * BYTES_PER_CHAR


class DocumentCache:
    """A least-recently-used map from query text to its parsed, valid document, within a byte budget."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[str, tuple[DocumentNode, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> DocumentNode | None:
        entry = self._entries.get(query)
        if entry is None:
            return None
        self._entries.move_to_end(query)
        return entry[0]

    def put(self, query: str, document: DocumentNode) -> None:
        size = estimated_bytes(query, document)
        if size > self.max_bytes or query in self._entries:
            return
        while self.bytes + size > self.max_bytes:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped
        self._entries[query] = (document, size)
        self.bytes += size


VALID_DOCUMENTS = DocumentCache()


class CheckedDocuments(SchemaExtension):
    """The document limits of ``api.limits`` (token count, ``ComplexityRule``), applied once per text.

    Strawberry builds one instance per request (the class is the factory). A document found in
    ``VALID_DOCUMENTS`` skips parsing and validation; any other is parsed with the token limit and
    validated with the complexity rule by Strawberry as usual, and kept if it passed.
    """

    def __init__(self) -> None:
        self.cached = False

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        document = VALID_DOCUMENTS.get(context.query) if context.query is not None else None
        if document is not None:
            # Strawberry skips its parse when a document is set, and its validation when errors are.
            context.graphql_document = document
            context.pre_execution_errors = []
            self.cached = True
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = (*context.validation_rules, ComplexityRule)
        yield

    def on_validate(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if not self.cached and context.pre_execution_errors == [] and context.query is not None:
            assert context.graphql_document is not None
            VALID_DOCUMENTS.put(context.query, context.graphql_document)
