"""Merging what subgraphs say of one element: description, visibility, tags, auth.

`@inaccessible` anywhere hides the element everywhere. Tags are the union.
`@authenticated` anywhere applies. `@requiresScopes` and `@policy` lists are
OR-of-AND (the outer list is alternatives, each inner list must all hold); a
field resolved by several subgraphs must satisfy each subgraph's requirement,
so their lists are combined by conjunction: every way to pick one alternative
from each, with duplicate scopes folded and any alternative that includes
another dropped (it can never be needed).

Cost (IBM's cost spec, as Apollo and The Guild compose it): the highest
`@cost` weight of any subgraph wins, and `@listSize` takes the largest
assumed size, every slicing argument and sized field any subgraph names, and
requires one slicing argument only where every subgraph does: the estimate
is never lower than any one subgraph's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from graphql import print_ast

from router.composition.model import ListSize, Meta


def merge_meta(metas: Iterable[Meta]) -> Meta:
    merged = Meta()
    descriptions: Counter[str] = Counter()
    first_seen: list[str] = []
    composed_seen: set[str] = set()
    for meta in metas:
        if meta.description:
            descriptions[meta.description] += 1
            if meta.description not in first_seen:
                first_seen.append(meta.description)
        merged.inaccessible = merged.inaccessible or meta.inaccessible
        merged.tags.extend(tag for tag in meta.tags if tag not in merged.tags)
        merged.authenticated = merged.authenticated or meta.authenticated
        merged.scopes = conjunction(merged.scopes, meta.scopes)
        merged.policies = conjunction(merged.policies, meta.policies)
        merged.deprecated = merged.deprecated or meta.deprecated
        merged.specified_by = merged.specified_by or meta.specified_by
        if meta.cost is not None:
            merged.cost = meta.cost if merged.cost is None else max(merged.cost, meta.cost)
        merged.list_size = _larger_list_size(merged.list_size, meta.list_size)
        for directive in meta.composed:
            printed = print_ast(directive)
            if printed not in composed_seen:
                composed_seen.add(printed)
                merged.composed.append(directive)
    if descriptions:
        # The most common description wins; ties go to the first subgraph's.
        top = max(descriptions.values())
        merged.description = next(d for d in first_seen if descriptions[d] == top)
    return merged


def _larger_list_size(left: ListSize | None, right: ListSize | None) -> ListSize | None:
    if left is None or right is None:
        return left or right
    sizes = [s for s in (left.assumed_size, right.assumed_size) if s is not None]
    return ListSize(
        assumed_size=max(sizes) if sizes else None,
        slicing_arguments=_union(left.slicing_arguments, right.slicing_arguments),
        sized_fields=_union(left.sized_fields, right.sized_fields),
        require_one_slicing_argument=(
            left.require_one_slicing_argument and right.require_one_slicing_argument
        ),
    )


def _union(left: tuple[str, ...] | None, right: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if left is None or right is None:
        return left or right
    return (*left, *(name for name in right if name not in left))


def conjunction(
    left: list[list[str]] | None, right: list[list[str]] | None
) -> list[list[str]] | None:
    if left is None:
        return _simplify(right) if right is not None else None
    if right is None:
        return _simplify(left)
    return _simplify([[*a, *b] for a in left for b in right])


def _simplify(alternatives: list[list[str]]) -> list[list[str]]:
    sets = {frozenset(alternative) for alternative in alternatives}
    minimal = [s for s in sets if not any(other < s for other in sets)]
    return sorted(sorted(s) for s in minimal)
