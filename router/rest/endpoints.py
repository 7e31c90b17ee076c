"""The REST endpoints: request -> variables -> the route's trusted document -> JSON.

A success answers the operation's root field (payload `errors` dropped when
empty). A UserError or GraphQL error answers `{"errors": [{code, message,
field}]}` with the status `rest.yaml` maps its code to (400 otherwise); a
root field that is null is 404.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import orjson
from graphql import FieldNode, OperationDefinitionNode, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.gateway import Gateway
from router.operation import GraphQLRequest
from router.rest.mapping import RestConfig, RestRoute
from router.rest.params import BadParameter, read_parameters, variable_types

# The gateway serving now, held until the request is done (a hot reload drains it).
Serving = Callable[[], AbstractAsyncContextManager[Gateway]]
# The request's headers as the subgraphs get them (X-Forwarded-For decided).
HeadersOf = Callable[[Request], Mapping[str, str]]


def _json(body: Any, status: int) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _errors(errors: list[dict[str, Any]], statuses: Mapping[str, int], default: int) -> Response:
    body = [
        {
            k: v
            for k, v in {
                "code": e.get("code"),
                "message": e.get("message"),
                "field": e.get("field"),
            }.items()
            if v is not None
        }
        for e in errors
    ]
    status = next((statuses[e["code"]] for e in body if e.get("code") in statuses), default)
    return _json({"errors": body}, status)


def _graphql_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"code": (e.get("extensions") or {}).get("code"), "message": e.get("message")}
        for e in errors
    ]


def _root(route: RestRoute) -> tuple[OperationDefinitionNode, str]:
    document = parse(route.body)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    field = next(s for s in operation.selection_set.selections if isinstance(s, FieldNode))
    return operation, (field.alias or field.name).value


class RestEndpoint:
    """One REST route: its request read into variables, its document run, its answer shaped."""

    def __init__(
        self, route: RestRoute, config: RestConfig, serving: Serving, headers_of: HeadersOf
    ) -> None:
        self.route, self.config, self.serving, self.headers_of = route, config, serving, headers_of
        self.operation, self.root = _root(route)
        self.document_id = hashlib.sha256(route.body.encode()).hexdigest()

    async def respond(self, request: Request) -> Response:
        async with self.serving() as gateway:
            return await self._answer(gateway, request)

    async def _answer(self, gateway: Gateway, request: Request) -> Response:
        types = variable_types(gateway.supergraph.api_schema, self.operation)
        try:
            params = {k: [str(v)] for k, v in request.path_params.items()}
            for key in request.query_params:
                params[key] = request.query_params.getlist(key)
            variables = read_parameters(params, self.route.query_names, types)
            if self.route.body_variable is not None:
                body = orjson.loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise BadParameter("the body must be a JSON object")
                if self.route.body_variable == "variables":
                    variables.update(body)
                else:
                    variables[self.route.body_variable] = body
        except orjson.JSONDecodeError:
            return _json(
                {"errors": [{"code": "BAD_REQUEST", "message": "the body is not JSON"}]}, 400
            )
        except BadParameter as error:
            return _json({"errors": [{"code": "BAD_REQUEST", "message": str(error)}]}, 400)
        graphql = GraphQLRequest(self.route.body, variables=variables, document_id=self.document_id)
        response = await gateway.execute(graphql, self.headers_of(request))
        data = response.body.get("data") or {}
        errors = response.body.get("errors") or []
        value = data.get(self.root)
        if errors and (value is None or response.failure is not None):
            default = 500 if response.status_code >= 500 else 400
            return _errors(_graphql_errors(errors), self.config.statuses, default)
        if value is None:
            return _json(
                {"errors": [{"code": "NOT_FOUND", "message": f"{self.route.path} found nothing"}]},
                404,
            )
        if isinstance(value, dict) and isinstance(value.get("errors"), list):
            if value["errors"]:
                return _errors(value["errors"], self.config.statuses, 400)
            value = {k: v for k, v in value.items() if k != "errors"}
        return _json(value, self.route.status)


def rest_routes(config: RestConfig, serving: Serving, headers_of: HeadersOf) -> list[Route]:
    return [
        Route(
            route.path,
            RestEndpoint(route, config, serving, headers_of).respond,
            methods=[route.method],
        )
        for route in config.routes
    ]
