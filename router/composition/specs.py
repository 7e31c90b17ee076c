"""The specs composition reads and writes: their URLs, elements and definitions.

Subgraph side: every element of the federation spec with the version that
introduced it, and its definition (printed under the subgraph's local names, so
subgraph SDLs that leave the definitions out still validate). Supergraph side:
the definitions of the join, link and carried specs printed into the output.
"""

from __future__ import annotations

from dataclasses import dataclass

SPECS_HOST = "https://specs.apollo.dev/"
FEDERATION = "federation"
LINK = "link"
# Federation v2.0 up to v2.12 are read; later minors may add rules we do not know.
MAX_FEDERATION_MINOR = 12

# Specs whose single element is a directive named like the spec; subgraphs may
# link them on their own, outside the federation spec.
DIRECTIVE_SPECS = ("inaccessible", "tag", "authenticated", "requiresScopes", "policy")


@dataclass(frozen=True)
class Element:
    name: str
    since: tuple[int, int]
    definition: str  # format string over local type names: {FieldSet}, {Scope}, ...


DIRECTIVES: dict[str, Element] = {
    e.name: e
    for e in (
        Element(
            "key",
            (2, 0),
            "directive @{self}(fields: {FieldSet}!, resolvable: Boolean = true)"
            " repeatable on OBJECT | INTERFACE",
        ),
        Element("requires", (2, 0), "directive @{self}(fields: {FieldSet}!) on FIELD_DEFINITION"),
        Element("provides", (2, 0), "directive @{self}(fields: {FieldSet}!) on FIELD_DEFINITION"),
        Element(
            "external", (2, 0), "directive @{self}(reason: String) on OBJECT | FIELD_DEFINITION"
        ),
        Element(
            "tag",
            (2, 0),
            "directive @{self}(name: String!) repeatable on FIELD_DEFINITION | OBJECT"
            " | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE"
            " | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA",
        ),
        Element("extends", (2, 0), "directive @{self} on OBJECT | INTERFACE"),
        Element("shareable", (2, 0), "directive @{self} repeatable on OBJECT | FIELD_DEFINITION"),
        Element(
            "inaccessible",
            (2, 0),
            "directive @{self} on FIELD_DEFINITION | OBJECT | INTERFACE | UNION"
            " | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT"
            " | INPUT_FIELD_DEFINITION",
        ),
        Element(
            "override",
            (2, 0),
            "directive @{self}(from: String!, label: String) on FIELD_DEFINITION",
        ),
        Element(
            "composeDirective", (2, 1), "directive @{self}(name: String!) repeatable on SCHEMA"
        ),
        Element("interfaceObject", (2, 3), "directive @{self} on OBJECT"),
        Element(
            "authenticated",
            (2, 5),
            "directive @{self} on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
        ),
        Element(
            "requiresScopes",
            (2, 5),
            "directive @{self}(scopes: [[{Scope}!]!]!)"
            " on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
        ),
        Element(
            "policy",
            (2, 6),
            "directive @{self}(policies: [[{Policy}!]!]!)"
            " on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
        ),
        Element(
            "context",
            (2, 8),
            "directive @{self}(name: String!) repeatable on INTERFACE | OBJECT | UNION",
        ),
        Element(
            "fromContext",
            (2, 8),
            "directive @{self}(field: {ContextFieldValue}) on ARGUMENT_DEFINITION",
        ),
        Element(
            "cost",
            (2, 9),
            "directive @{self}(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION"
            " | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
        ),
        Element(
            "listSize",
            (2, 9),
            "directive @{self}(assumedSize: Int, slicingArguments: [String!],"
            " sizedFields: [String!], requireOneSlicingArgument: Boolean = true)"
            " on FIELD_DEFINITION",
        ),
    )
}

# Scalars of the federation spec, by the version that introduced them.
SCALARS: dict[str, tuple[int, int]] = {
    "FieldSet": (2, 0),
    "Scope": (2, 5),
    "Policy": (2, 6),
    "ContextFieldValue": (2, 8),
}

# Federation directives that we validate and then drop, because the supergraph
# has no place for them or we do not compose them (see UNSUPPORTED in the docs).
UNSUPPORTED_DIRECTIVES = frozenset({"context", "fromContext"})

# The cost spec (IBM's GraphQL Cost Directive, as Apollo links it): subgraphs
# import its two directives from federation v2.9+ or link the spec itself; the
# supergraph links it and imports the ones it uses.
COST = "cost"
COST_ELEMENTS = ("cost", "listSize")
COST_URL = f"{SPECS_HOST}cost/v0.1"
COST_DEFINITIONS = {
    "cost": "directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION"
    " | INPUT_FIELD_DEFINITION | OBJECT | SCALAR\n",
    "listSize": "directive @listSize(assumedSize: Int, slicingArguments: [String!],"
    " sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION\n",
}

LINK_DEFINITIONS = """\
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) \
repeatable on SCHEMA

scalar link__Import

enum link__Purpose {
  SECURITY
  EXECUTION
}
"""

# Names a subgraph may carry that belong to the federation machinery rather
# than to its own schema; they are stripped before merging.
MACHINERY_TYPES = frozenset(
    {"_Any", "_Entity", "_Service", "_FieldSet", "FieldSet", "link__Import", "link__Purpose"}
)
MACHINERY_QUERY_FIELDS = frozenset({"_entities", "_service"})

# Supergraph side. join v0.3 unless some @override carries a label, which needs
# `overrideLabel` (join v0.4 and later; we write v0.5, the latest).
JOIN_V03 = """\
directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, \
provides: join__FieldSet, type: String, external: Boolean, override: String, \
usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) \
repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, \
extension: Boolean! = false, resolvable: Boolean! = true, \
isInterfaceObject: Boolean! = false) \
repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

scalar join__FieldSet
"""

JOIN_V05 = """\
directive @join__directive(graphs: [join__Graph!], name: String!, \
args: join__DirectiveArguments) \
repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION

directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE

directive @join__field(graph: join__Graph, requires: join__FieldSet, \
provides: join__FieldSet, type: String, external: Boolean, override: String, \
usedOverridden: Boolean, overrideLabel: String, \
contextArguments: [join__ContextArgument!]) \
repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION

directive @join__graph(name: String!, url: String!) on ENUM_VALUE

directive @join__implements(graph: join__Graph!, interface: String!) \
repeatable on OBJECT | INTERFACE

directive @join__type(graph: join__Graph!, key: join__FieldSet, \
extension: Boolean! = false, resolvable: Boolean! = true, \
isInterfaceObject: Boolean! = false) \
repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR

directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION

input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}

scalar join__DirectiveArguments

scalar join__FieldSet

scalar join__FieldValue
"""

# Carried specs: (link URL, purpose or None, definitions).
CARRIED_SPECS: dict[str, tuple[str, str | None, str]] = {
    "inaccessible": (
        f"{SPECS_HOST}inaccessible/v0.2",
        "SECURITY",
        "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ENUM"
        " | ENUM_VALUE | SCALAR | INPUT_OBJECT | INPUT_FIELD_DEFINITION | ARGUMENT_DEFINITION\n",
    ),
    "tag": (
        f"{SPECS_HOST}tag/v0.3",
        None,
        "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE"
        " | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT"
        " | INPUT_FIELD_DEFINITION | SCHEMA\n",
    ),
    "authenticated": (
        f"{SPECS_HOST}authenticated/v0.1",
        "SECURITY",
        "directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM\n",
    ),
    "requiresScopes": (
        f"{SPECS_HOST}requiresScopes/v0.1",
        "SECURITY",
        "directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on FIELD_DEFINITION"
        " | OBJECT | INTERFACE | SCALAR | ENUM\n\nscalar requiresScopes__Scope\n",
    ),
    "policy": (
        f"{SPECS_HOST}policy/v0.1",
        "SECURITY",
        "directive @policy(policies: [[policy__Policy!]!]!) on FIELD_DEFINITION | OBJECT"
        " | INTERFACE | SCALAR | ENUM\n\nscalar policy__Policy\n",
    ),
}
