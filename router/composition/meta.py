"""Merging what subgraphs say of one element: description, visibility, tags, auth.

`@inaccessible` anywhere hides the element everywhere. Tags are the union.
`@authenticated` anywhere applies. `@requiresScopes` and `@policy` lists are
OR-of-AND (the outer list is alternatives, each inner list must all hold); a
field resolved by several subgraphs must satisfy each subgraph's requirement,
so their lists are combined by conjunction: every way to pick one alternative
from each, with duplicate scopes folded and any alternative that includes
another dropped (it can never be needed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from graphql import print_ast

from router.composition.model import Meta


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
