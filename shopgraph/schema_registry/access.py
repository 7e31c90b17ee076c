"""Access changes: `@authenticated`, `@requiresScopes` and `@policy` on the fields clients read.

These directives live in the supergraph, not in the API schema, yet they
decide who gets a field: one added to a field, to its type or to the type it
returns takes the field away from callers who read it until now. Fields are
compared by what the router enforces on them (`router.policies.read_rules`);
a field whose new requirements every caller of the old ones still meets is
not restricted, so adding a scope alternative or dropping a directive is safe.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import parse

from router.policies import Requirement, read_rules
from router.supergraph import Supergraph
from shopgraph.schema_registry.changes import Change, ChangeCode, Criticality


def _implied(requirement: Requirement, held: Iterable[Requirement]) -> bool:
    """Whether every caller who meets all of `held` meets `requirement` too."""
    held = list(held)
    if requirement.kind == "authenticated":
        # Scopes and policies come from a verified token: any requirement implies one.
        return bool(held)
    # Every way of meeting the old requirement must include a way of meeting the new one.
    return any(
        old.kind == requirement.kind
        and all(
            any(alternative <= way for alternative in requirement.alternatives)
            for way in old.alternatives
        )
        for old in held
    )


def _describe(requirements: Iterable[Requirement]) -> str:
    parts = []
    for requirement in sorted(
        requirements, key=lambda r: (r.kind, sorted(map(sorted, r.alternatives)))
    ):
        if requirement.kind == "authenticated":
            parts.append("@authenticated")
            continue
        argument = "scopes" if requirement.kind == "requiresScopes" else "policies"
        ways = sorted(sorted(way) for way in requirement.alternatives)
        listed = ", ".join("[" + ", ".join(f'"{item}"' for item in way) + "]" for way in ways)
        parts.append(f"@{requirement.kind}({argument}: [{listed}])")
    return " ".join(parts) or "nothing"


def diff_access(old: Supergraph, new: Supergraph) -> list[Change]:
    before = read_rules(parse(old.sdl), old.api_schema).fields
    after = read_rules(parse(new.sdl), new.api_schema).fields
    changes: list[Change] = []
    for parent, field_name in sorted(before.keys() | after.keys()):
        if field_name == "__typename" or not _in_both(old, new, parent, field_name):
            continue
        was = before.get((parent, field_name), frozenset())
        now = after.get((parent, field_name), frozenset())
        coordinate = f"{parent}.{field_name}"
        what = f"Field {coordinate} required {_describe(was)} and now requires {_describe(now)}"
        if not all(_implied(requirement, was) for requirement in now):
            changes.append(
                Change(
                    coordinate,
                    ChangeCode.FIELD_ACCESS_RESTRICTED,
                    Criticality.BREAKING,
                    f"{what}: callers who could read it may not any more",
                    coordinate,
                )
            )
        elif not all(_implied(requirement, now) for requirement in was):
            changes.append(
                Change(
                    coordinate,
                    ChangeCode.FIELD_ACCESS_RELAXED,
                    Criticality.SAFE,
                    f"{what}: more callers may read it",
                    coordinate,
                )
            )
    return changes


def _in_both(old: Supergraph, new: Supergraph, parent: str, field_name: str) -> bool:
    """Added or removed fields are reported as such, not as access changes."""
    return all(
        field_name in getattr(supergraph.api_schema.get_type(parent), "fields", {})
        for supergraph in (old, new)
    )
