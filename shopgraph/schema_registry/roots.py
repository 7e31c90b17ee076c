"""Changes to the schema itself: its root operation types and its directive definitions.

Removing a root type or a directive clients may write in documents (or one
of its locations or arguments) breaks them; adding one is safe unless it
brings a required argument.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLSchema, is_required_argument, is_specified_directive

from shopgraph.schema_registry.changes import Change, ChangeCode, Criticality

B, S = Criticality.BREAKING, Criticality.SAFE


def root_changes(old: GraphQLSchema, new: GraphQLSchema) -> Iterator[Change]:
    for kind in ("query", "mutation", "subscription"):
        before = getattr(old, f"{kind}_type")
        after = getattr(new, f"{kind}_type")
        before_name = before.name if before else None
        after_name = after.name if after else None
        if before_name != after_name:
            yield Change(
                f"schema.{kind}",
                ChangeCode.SCHEMA_ROOT_TYPE_CHANGED,
                B if before_name else S,
                f"Schema {kind} root changed from {before_name} to {after_name}",
                before_name or after_name or kind,
            )


def directive_changes(old: GraphQLSchema, new: GraphQLSchema) -> Iterator[Change]:
    before = {d.name: d for d in old.directives if not is_specified_directive(d)}
    after = {d.name: d for d in new.directives if not is_specified_directive(d)}
    for name in sorted(before.keys() - after.keys()):
        yield Change(
            f"@{name}",
            ChangeCode.DIRECTIVE_REMOVED,
            B,
            f"Directive @{name} was removed",
            f"@{name}",
        )
    for name in sorted(after.keys() - before.keys()):
        yield Change(
            f"@{name}", ChangeCode.DIRECTIVE_ADDED, S, f"Directive @{name} was added", f"@{name}"
        )
    for name in sorted(before.keys() & after.keys()):
        old_d, new_d = before[name], after[name]
        for location in sorted(
            {loc.name for loc in old_d.locations} - {loc.name for loc in new_d.locations}
        ):
            yield Change(
                f"@{name}",
                ChangeCode.DIRECTIVE_LOCATION_REMOVED,
                B,
                f"Location {location} was removed from directive @{name}",
                f"@{name}",
            )
        for location in sorted(
            {loc.name for loc in new_d.locations} - {loc.name for loc in old_d.locations}
        ):
            yield Change(
                f"@{name}",
                ChangeCode.DIRECTIVE_LOCATION_ADDED,
                S,
                f"Location {location} was added to directive @{name}",
                f"@{name}",
            )
        for arg in sorted(old_d.args.keys() - new_d.args.keys()):
            coordinate = f"@{name}({arg}:)"
            yield Change(
                coordinate,
                ChangeCode.DIRECTIVE_ARGUMENT_REMOVED,
                B,
                f"Argument {arg} was removed from directive @{name}",
                coordinate,
            )
        for arg in sorted(new_d.args.keys() - old_d.args.keys()):
            coordinate = f"@{name}({arg}:)"
            required = is_required_argument(new_d.args[arg])
            kind = "Required" if required else "Optional"
            yield Change(
                coordinate,
                ChangeCode.DIRECTIVE_ARGUMENT_ADDED,
                B if required else S,
                f"{kind} argument {arg} was added to directive @{name}",
                f"@{name}",
            )
