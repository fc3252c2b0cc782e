"""What one API request may cost, stated once (the README repeats these numbers).

* the body: at most ``MAX_BODY_BYTES`` (64 KiB), else 413 — read without buffering more;
* the document: at most ``MAX_TOKENS`` lexical tokens (Strawberry's ``MaxTokensLimiter``, enforced
  by the parser itself, so a huge document is refused before any tree is built);
* aliases: at most ``MAX_ALIASES`` (Strawberry's ``MaxAliasesLimiter``): no alias flooding;
* depth: at most ``MAX_DEPTH`` nested selections, and at most ``MAX_FIELDS`` field selections in
  all, counted with every fragment spread expanded — introspection included, so
  ``{__schema{types{fields{type{fields{…}}}}}}`` cannot fan out either;
* lists: ``first`` at most ``MAX_PAGE`` items per page;
* one operation per request: a JSON array (a "batch") is refused with 400.

Depth and field count are computed by one validation rule (``ComplexityRule``) that memoises each
fragment's cost: fragments that spread other fragments twice at every level ("fragment bombs")
cost linear time to measure, not exponential.
"""

from __future__ import annotations

from collections.abc import Callable
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
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, SchemaExtension

MAX_BODY_BYTES = 64 * 1024
MAX_TOKENS = 2000
MAX_ALIASES = 20
MAX_DEPTH = 10
MAX_FIELDS = 400
MAX_PAGE = 100
LIMIT_CODE = "QUERY_TOO_COMPLEX"


class _Cost:
    """Depth and field count of selection sets, with each fragment measured once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, tuple[int, int]] = {}
        self.active: set[str] = set()

    def of(self, selection_set: SelectionSetNode | None) -> tuple[int, int]:
        """(depth, fields) of a selection set; a field with a selection set adds one level."""
        if selection_set is None:
            return 0, 0
        depth = fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner_depth, inner_fields = self.of(selection.selection_set)
                depth = max(depth, 1 + inner_depth if selection.selection_set else 1)
                fields += 1 + inner_fields
            elif isinstance(selection, InlineFragmentNode):
                inner_depth, inner_fields = self.of(selection.selection_set)
                depth, fields = max(depth, inner_depth), fields + inner_fields
            elif isinstance(selection, FragmentSpreadNode):
                inner_depth, inner_fields = self.fragment(selection.name.value)
                depth, fields = max(depth, inner_depth), fields + inner_fields
            if fields > MAX_FIELDS:
                break  # enough to refuse: stop counting
        return depth, fields

    def fragment(self, name: str) -> tuple[int, int]:
        # Unknown or cyclic fragments are reported by graphql-core's own rules; count them as 0.
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return 0, 0
        self.active.add(name)
        self.memo[name] = self.of(definition.selection_set)
        self.active.discard(name)
        return self.memo[name]


class ComplexityRule(ValidationRule):
    """Refuses operations deeper than ``MAX_DEPTH`` or selecting more than ``MAX_FIELDS`` fields."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> None:
        fragments = {
            d.name.value: d for d in self.context.document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        depth, fields = _Cost(fragments).of(node.selection_set)
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


def extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories, not instances: Strawberry builds fresh extensions for every request (an instance
    would be shared by concurrent requests)."""
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: AddValidationRules([ComplexityRule]),
    ]
