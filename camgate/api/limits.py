"""What one API request may cost, stated once (the README repeats these numbers).

* the body: at most ``MAX_BODY_BYTES`` (64 KiB), else 413 — read without buffering more;
* the document: at most ``MAX_TOKENS`` lexical tokens (graphql-core's ``parse(max_tokens=…)``, set
  by ``api.documents``: the parser itself refuses a huge document before any tree is built);
* depth: at most ``MAX_DEPTH`` nested selections, at most ``MAX_FIELDS`` field selections and at
  most ``MAX_ALIASES`` aliases in all, counted with every fragment spread expanded — introspection
  included, so ``{__schema{types{fields{type{fields{…}}}}}}`` cannot fan out either;
* lists: ``first`` at most ``MAX_PAGE`` items per page;
* one operation per request: a JSON array (a "batch") is refused with 400.

Depth, fields and aliases are measured by one validation rule (``ComplexityRule``) that memoises
each fragment's cost: fragments that spread other fragments twice at every level ("fragment
bombs") cost linear time to measure, not exponential. (Strawberry's own ``QueryDepthLimiter`` and
``MaxAliasesLimiter`` walk every spread again and take exponential time on such documents.)

``api.documents.CheckedDocuments`` applies both to every request, and keeps documents that passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

MAX_BODY_BYTES = 64 * 1024
MAX_TOKENS = 2000
MAX_ALIASES = 20
MAX_DEPTH = 10
MAX_FIELDS = 400
MAX_PAGE = 100
LIMIT_CODE = "QUERY_TOO_COMPLEX"


@dataclass(frozen=True, slots=True)
class Cost:
    depth: int = 0
    fields: int = 0
    aliases: int = 0

    def beside(self, other: Cost) -> Cost:
        """Two selections side by side: the deeper depth, the sums of the counts."""
        return Cost(max(self.depth, other.depth), self.fields + other.fields, self.aliases + other.aliases)


class _Measure:
    """The cost of selection sets, with each fragment measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Cost] = {}
        self.active: set[str] = set()

    def of(self, selection_set: SelectionSetNode | None) -> Cost:
        """A field with a selection set adds one level of depth."""
        total = Cost()
        if selection_set is None:
            return total
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self.of(selection.selection_set)
                # ``ofType`` names one type: its chain cannot fan out, so it adds no depth (the
                # standard introspection query nests it seven times).
                level = 0 if selection.name.value == "ofType" else 1
                own = Cost(level + inner.depth, 1 + inner.fields, inner.aliases + (1 if selection.alias else 0))
                total = total.beside(own)
            elif isinstance(selection, InlineFragmentNode):
                total = total.beside(self.of(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                total = total.beside(self.fragment(selection.name.value))
            if total.fields > MAX_FIELDS:
                break  # enough to refuse: stop counting
        return total

    def fragment(self, name: str) -> Cost:
        # Unknown or cyclic fragments are reported by graphql-core's own rules; they cost 0 here.
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return Cost()
        self.active.add(name)
        self.memo[name] = self.of(definition.selection_set)
        self.active.discard(name)
        return self.memo[name]


class ComplexityRule(ValidationRule):
    """Refuses operations over ``MAX_DEPTH``, ``MAX_FIELDS`` or ``MAX_ALIASES``."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        fragments = {
            d.name.value: d for d in self.context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost = _Measure(fragments).of(node.selection_set)
        depth, fields = cost.depth, cost.fields
        if depth > MAX_DEPTH:
            self.report_error(
                GraphQLError(
                    f"the query is nested {depth} levels deep; at most {MAX_DEPTH} are allowed",
                    node,
                    extensions={"code": LIMIT_CODE, "limit": "depth", "max": MAX_DEPTH},
                )
            )
        if fields > MAX_FIELDS:
            self.report_error(
                GraphQLError(
                    f"the query selects more than {MAX_FIELDS} fields (fragments expanded); split it up",
                    node,
                    extensions={"code": LIMIT_CODE, "limit": "fields", "max": MAX_FIELDS},
                )
            )
        if cost.aliases > MAX_ALIASES:
            self.report_error(
                GraphQLError(
                    f"the query uses {cost.aliases} aliases; at most {MAX_ALIASES} are allowed",
                    node,
                    extensions={"code": LIMIT_CODE, "limit": "aliases", "max": MAX_ALIASES},
                )
            )
