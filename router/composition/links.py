"""How a subgraph names the federation spec: its `@link`s resolved to local names.

A subgraph links the federation spec (and maybe `inaccessible`, `tag`, ... on
their own) and imports elements under their own names or renamed with `as`;
elements it does not import are reachable as `federation__name` (or under the
link's `as:` namespace). `Names` maps every local name back to the spec element
it stands for. Links to any other URL are kept for `@composeDirective`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import (
    ConstArgumentNode,
    DocumentNode,
    ListValueNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    ValueNode,
)

from router.composition.errors import Code, Errors
from router.composition.specs import (
    COST,
    COST_ELEMENTS,
    DIRECTIVE_SPECS,
    DIRECTIVES,
    FEDERATION,
    LINK,
    MAX_FEDERATION_MINOR,
    SCALARS,
    SPECS_HOST,
)

_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Link:
    """A `@link` to a spec other than federation's own, as written in the subgraph."""

    url: str
    identity: str  # the URL without its version
    version: str
    namespace: str
    imports: dict[str, str]  # local name -> element name, directives with their "@"


@dataclass
class Names:
    subgraph: str
    version: tuple[int, int]
    directives: dict[str, str] = field(default_factory=dict)  # local name -> federation name
    types: dict[str, str] = field(default_factory=dict)  # local scalar name -> federation name
    links: list[Link] = field(default_factory=list)
    link_directive: str = LINK

    def canonical(self, local: str) -> str | None:
        return self.directives.get(local)

    def local_type(self, element: str) -> str:
        for local, canonical in self.types.items():
            if canonical == element:
                return local
        return f"{FEDERATION}__{element}"

    def is_machinery_type(self, name: str) -> bool:
        return name in self.types or name.startswith(f"{FEDERATION}__")


def resolve_links(document: DocumentNode, subgraph: str, errors: Errors) -> Names | None:
    """The subgraph's `Names`, or None when it does not link federation v2."""
    links = [
        directive
        for definition in document.definitions
        if isinstance(definition, (SchemaDefinitionNode, SchemaExtensionNode))
        for directive in definition.directives or ()
        if directive.name.value == LINK
    ]
    names: Names | None = None
    others: list[tuple[str, str, Mapping[str, ValueNode]]] = []
    for directive in links:
        args: dict[str, ValueNode] = {a.name.value: a.value for a in directive.arguments or ()}
        url = _string(args.get("url"))
        if url is None:
            errors.add(
                Code.INVALID_LINK_DIRECTIVE_USAGE,
                f'[{subgraph}] @link is missing its "url" string argument',
                (subgraph,),
            )
            continue
        identity, _, version = url.rstrip("/").rpartition("/")
        spec = identity.rpartition("/")[2]
        if identity == f"{SPECS_HOST}{FEDERATION}":
            names = _federation_names(version, args, subgraph, errors)
        else:
            others.append((url, spec, args))
    if names is None:
        return None
    for url, spec, link_args in others:
        _add_link(names, url, spec, link_args, errors)
    return names


def _federation_names(
    version: str, args: Mapping[str, ValueNode], subgraph: str, errors: Errors
) -> Names | None:
    match = _VERSION.match(version)
    if match is None or match.group(1) != "2" or int(match.group(2)) > MAX_FEDERATION_MINOR:
        errors.add(
            Code.UNKNOWN_FEDERATION_LINK_VERSION,
            f"[{subgraph}] Invalid version {version} for the federation feature in @link",
            (subgraph,),
        )
        return None
    names = Names(subgraph, (2, int(match.group(2))))
    namespace = _string(args.get("as")) or FEDERATION
    for spec_element in DIRECTIVES.values():
        if spec_element.since <= names.version:
            names.directives[f"{namespace}__{spec_element.name}"] = spec_element.name
            names.directives.setdefault(f"{FEDERATION}__{spec_element.name}", spec_element.name)
    for scalar, since in SCALARS.items():
        if since <= names.version:
            names.types[f"{namespace}__{scalar}"] = scalar
    for local, element in _imports(args.get("import"), subgraph, errors):
        # `federation__x` spelled in an import still means the federation element x.
        element = element.replace(f"{FEDERATION}__", "")
        if element.startswith("@"):
            known = DIRECTIVES.get(element[1:])
            if known is None or known.since > names.version:
                errors.add(
                    Code.INVALID_LINK_DIRECTIVE_USAGE,
                    f'[{subgraph}] Cannot import unknown element "{element}" of federation'
                    f" v{names.version[0]}.{names.version[1]}",
                    (subgraph,),
                )
                continue
            names.directives[local[1:]] = known.name
        elif SCALARS.get(element, (99, 0)) <= names.version:
            names.types[local] = element
        else:
            errors.add(
                Code.INVALID_LINK_DIRECTIVE_USAGE,
                f'[{subgraph}] Cannot import unknown element "{element}" of federation'
                f" v{names.version[0]}.{names.version[1]}",
                (subgraph,),
            )
    return names


def _add_link(
    names: Names, url: str, spec: str, args: Mapping[str, ValueNode], errors: Errors
) -> None:
    identity, _, version = url.rstrip("/").rpartition("/")
    namespace = _string(args.get("as")) or spec
    imports = dict(_imports(args.get("import"), names.subgraph, errors))
    if identity == f"{SPECS_HOST}{LINK}":
        names.link_directive = namespace
        return
    if identity == f"{SPECS_HOST}{COST}":
        # `@cost` goes by the namespace itself, `@listSize` by `namespace__listSize`.
        names.directives[namespace] = COST
        for element in COST_ELEMENTS:
            names.directives[f"{namespace}__{element}"] = element
        for local, element in imports.items():
            if element.lstrip("@") in COST_ELEMENTS:
                names.directives[local.lstrip("@")] = element.lstrip("@")
        return
    if identity.startswith(SPECS_HOST) and spec in DIRECTIVE_SPECS:
        # A spec linked on its own: its directive is `@spec` or `@namespace`.
        names.directives[namespace] = spec
        for local, element in imports.items():
            if element == f"@{spec}":
                names.directives[local[1:]] = spec
        return
    names.links.append(Link(url, identity, version, namespace, imports))


def _imports(value: ValueNode | None, subgraph: str, errors: Errors) -> list[tuple[str, str]]:
    """(local name, element name) pairs of an `import:` list."""
    if value is None:
        return []
    items = value.values if isinstance(value, ListValueNode) else (value,)
    pairs: list[tuple[str, str]] = []
    for item in items:
        if isinstance(item, StringValueNode):
            pairs.append((item.value, item.value))
            continue
        if isinstance(item, ObjectValueNode):
            fields = {f.name.value: _string(f.value) for f in item.fields}
            name, alias = fields.get("name"), fields.get("as")
            if name is not None and (
                alias is None or alias.startswith("@") == name.startswith("@")
            ):
                pairs.append((alias or name, name))
                continue
        errors.add(
            Code.INVALID_LINK_DIRECTIVE_USAGE,
            f"[{subgraph}] Invalid @link import: each import is a name string or"
            ' {name: "...", as: "..."} with matching kinds of names',
            (subgraph,),
        )
    return pairs


def _string(value: ValueNode | ConstArgumentNode | None) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None
