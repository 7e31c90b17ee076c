"""Directive definitions a subgraph brings: spec definitions it repeats, and custom
directives it asks to compose with `@composeDirective`.

A subgraph may print the federation directive definitions itself; they must
agree with the spec (DIRECTIVE_DEFINITION_INVALID otherwise). A composed
directive must be a custom one, defined in the subgraph and imported from a
`@link`ed spec, so the supergraph can link the same spec (DIRECTIVE_COMPOSITION_ERROR).
"""

from __future__ import annotations

from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    ListTypeNode,
    NonNullTypeNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeNode,
    parse,
    print_ast,
)

from router.composition.errors import Code, Errors
from router.composition.fieldset import named_type
from router.composition.links import Link, Names
from router.composition.model import ComposedDirective
from router.composition.specs import DIRECTIVES, SCALARS

_BUILT_IN = frozenset({"deprecated", "specifiedBy", "skip", "include", "oneOf", "defer", "stream"})


def check_spec_definition(
    definition: DirectiveDefinitionNode, canonical: str, names: Names, errors: Errors
) -> None:
    spec = _spec_definition(canonical, names)
    problems: list[str] = []
    spec_args = {a.name.value: a for a in spec.arguments or ()}
    given = {a.name.value: a for a in definition.arguments or ()}
    for arg_name, arg in given.items():
        expected = spec_args.get(arg_name)
        if expected is None:
            problems.append(f'unknown argument "{arg_name}"')
        elif not _same_shape(arg.type, expected.type, names):
            problems.append(
                f'argument "{arg_name}" should have type "{print_ast(expected.type)}"'
                f' but has type "{print_ast(arg.type)}"'
            )
    for arg_name, arg in spec_args.items():
        if isinstance(arg.type, NonNullTypeNode) and arg_name not in given:
            problems.append(f'missing required argument "{arg_name}"')
    allowed = {loc.value for loc in spec.locations}
    extra = sorted({loc.value for loc in definition.locations} - allowed)
    if extra:
        problems.append(f"locations {', '.join(extra)} are not allowed")
    if definition.repeatable and not spec.repeatable:
        problems.append("it should not be repeatable")
    if problems:
        errors.add(
            Code.DIRECTIVE_DEFINITION_INVALID,
            f'[{names.subgraph}] Invalid definition for directive "@{definition.name.value}": '
            + "; ".join(problems),
            (names.subgraph,),
            f"@{definition.name.value}",
        )


def _spec_definition(canonical: str, names: Names) -> DirectiveDefinitionNode:
    text = DIRECTIVES[canonical].definition.format(
        self=canonical,
        FieldSet="FieldSet",
        Scope="Scope",
        Policy="Policy",
        ContextFieldValue="ContextFieldValue",
    )
    definition = parse(text, no_location=True).definitions[0]
    if not isinstance(definition, DirectiveDefinitionNode):
        raise TypeError("spec definitions are directive definitions")
    return definition


def _same_shape(given: TypeNode, expected: TypeNode, names: Names) -> bool:
    """Same list structure and named type; nullability and scalar aliases may differ."""
    given = given.type if isinstance(given, NonNullTypeNode) else given
    expected = expected.type if isinstance(expected, NonNullTypeNode) else expected
    if isinstance(given, ListTypeNode) or isinstance(expected, ListTypeNode):
        return (
            isinstance(given, ListTypeNode)
            and isinstance(expected, ListTypeNode)
            and _same_shape(given.type, expected.type, names)
        )
    given_name, expected_name = named_type(given), named_type(expected)
    if expected_name in SCALARS:
        aliases = {expected_name, f"_{expected_name}", f"federation__{expected_name}", "String"}
        aliases |= {local for local, element in names.types.items() if element == expected_name}
        return given_name in aliases
    return given_name == expected_name


def read_composed(
    original: DocumentNode, stripped: DocumentNode, names: Names, errors: Errors
) -> dict[str, ComposedDirective]:
    definitions = {
        d.name.value: d for d in stripped.definitions if isinstance(d, DirectiveDefinitionNode)
    }
    composed: dict[str, ComposedDirective] = {}
    for definition in original.definitions:
        if not isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode)):
            continue
        for directive in definition.directives or ():
            if names.canonical(directive.name.value) != "composeDirective":
                continue
            args = {a.name.value: a.value for a in directive.arguments or ()}
            value = args.get("name")
            raw = value.value if isinstance(value, StringValueNode) else None
            found = _composable(raw, definitions, names, errors)
            if found is not None:
                composed[found.name] = found
    return composed


def _composable(
    raw: str | None,
    definitions: dict[str, DirectiveDefinitionNode],
    names: Names,
    errors: Errors,
) -> ComposedDirective | None:
    subgraph = names.subgraph

    def fail(reason: str) -> None:
        errors.add(
            Code.DIRECTIVE_COMPOSITION_ERROR,
            f'[{subgraph}] Cannot compose directive "{raw}": {reason}',
            (subgraph,),
            raw,
        )

    if raw is None or not raw.startswith("@"):
        fail('the name must be a string starting with "@"')
        return None
    local = raw[1:]
    if names.canonical(local) is not None or local in _BUILT_IN:
        fail("federation and built-in directives are composed, or not, by federation itself")
        return None
    definition = definitions.get(local)
    if definition is None:
        fail("the subgraph does not define it")
        return None
    link = _link_of(local, names.links)
    if link is None:
        fail("it is not imported from a @link-ed spec")
        return None
    entry = ""
    element = local.removeprefix(f"{link.namespace}__")
    if raw in link.imports:
        element = link.imports[raw][1:]
        entry = f'"{raw}"' if element == local else f'{{name: "@{element}", as: "{raw}"}}'
    return ComposedDirective(
        local,
        element,
        print_ast(definition),
        link.url,
        link.identity,
        entry,
        definition.repeatable,
    )


def _link_of(local: str, links: list[Link]) -> Link | None:
    for link in links:
        if f"@{local}" in link.imports or local.startswith(f"{link.namespace}__"):
            return link
    return None
