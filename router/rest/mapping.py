"""`rest.yaml`: which trusted document each REST path runs, and how errors become statuses.

    statuses: {UNAUTHENTICATED: 401, PRODUCT_NOT_FOUND: 404}
    routes:
      - {method: GET, path: "/api/products/{id}", document: storefront/Product}
      - {method: POST, path: /api/register, document: storefront/Register, body: input, status: 201}
      - {method: GET, path: /api/search, document: storefront/SearchProducts, query: {q: query}}

Path parameters and query parameters become the variables of the same name
(`query` renames a parameter; `a.b=1` sets a field of an input variable).
`body: NAME` makes the JSON body the variable NAME; `body: variables` makes
its members the variables. A route that could never work (an unknown method
or document, a parameter or body its document declares no variable for) is
refused when the router starts, naming the file and the route's line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from graphql import GraphQLError, OperationDefinitionNode, parse

from router.operation.trusted import named_documents

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
PATH_PARAM = re.compile(r"{(\w+)}")


class RestConfigError(ValueError):
    """rest.yaml is malformed or names a document the manifest lacks."""


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str
    document: str  # client/OperationName
    body: str  # the document's text
    body_variable: str | None = None  # None: no body; "variables": the body's members
    query_names: Mapping[str, str] = field(default_factory=dict)  # parameter -> variable
    status: int = 200

    @property
    def path_params(self) -> list[str]:
        return PATH_PARAM.findall(self.path)


@dataclass(frozen=True)
class RestConfig:
    routes: tuple[RestRoute, ...]
    statuses: Mapping[str, int]  # error code -> HTTP status


def load_rest_config(path: Path, manifest: Path) -> RestConfig:
    try:
        text = path.read_text()
        data: Any = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as error:
        raise RestConfigError(f"cannot read {path}: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("routes"), list):
        raise RestConfigError(f"{path}: expected a mapping with a 'routes' list")
    documents = named_documents(manifest)
    lines = _route_lines(text)
    routes = [
        _route(f"{path}:{lines[index - 1]}: route {index}", item, documents)
        for index, item in enumerate(data["routes"], 1)
    ]
    statuses = data.get("statuses") or {}
    if not isinstance(statuses, dict) or not all(isinstance(v, int) for v in statuses.values()):
        raise RestConfigError(f"{path}: 'statuses' maps error codes to HTTP statuses")
    return RestConfig(tuple(routes), {str(k): v for k, v in statuses.items()})


def _route_lines(text: str) -> list[int]:
    """The line each route starts on, so an error points at it (the text parsed already)."""
    root = yaml.compose(text)
    for key, value in root.value if isinstance(root, yaml.MappingNode) else ():
        if key.value == "routes" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _variables(where: str, document: str) -> set[str]:
    try:
        definitions = parse(document).definitions
    except GraphQLError as error:
        raise RestConfigError(f"{where}: its document does not parse: {error.message}") from error
    return {
        v.variable.name.value
        for d in definitions
        if isinstance(d, OperationDefinitionNode)
        for v in d.variable_definitions or ()
    }


def _route(where: str, item: Any, documents: Mapping[str, str]) -> RestRoute:
    if not isinstance(item, dict):
        raise RestConfigError(f"{where} must be a mapping")
    method = str(item.get("method", "")).upper()
    if method not in METHODS:
        raise RestConfigError(f"{where}: method must be one of {sorted(METHODS)}")
    route_path, document = item.get("path"), item.get("document")
    if not isinstance(route_path, str) or not route_path.startswith("/"):
        raise RestConfigError(f"{where}: path must start with /")
    if not isinstance(document, str) or document not in documents:
        raise RestConfigError(f"{where}: no trusted document {document!r} in the manifest")
    query = item.get("query") or {}
    body = item.get("body")
    if not isinstance(query, dict) or (body is not None and not isinstance(body, str)):
        raise RestConfigError(f"{where}: query maps parameters to variables; body is a name")
    # What a request fills must be a variable of the document, or every request would be
    # refused as a bad one: say so when the router starts instead.
    declared = _variables(where, documents[document])
    names = {str(k): str(v) for k, v in query.items()}
    wanted = [names.get(p, p) for p in PATH_PARAM.findall(route_path)]
    wanted += [v.partition(".")[0] for v in names.values()]
    wanted += [body] if body not in (None, "variables") else []
    missing = sorted({name for name in wanted if name not in declared})
    if missing:
        raise RestConfigError(
            f"{where}: {document} declares no variable {', '.join(f'${m}' for m in missing)}"
        )
    status = item.get("status", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise RestConfigError(f"{where}: status must be an HTTP status, such as 201")
    return RestRoute(
        method,
        route_path,
        document,
        documents[document],
        body,
        names,
        status,
    )
