"""How every subgraph builds its Strawberry federation v2 schema."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable, Sequence
from copy import copy
from functools import cached_property
from typing import Literal, TypeAlias, cast

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.federation import Schema
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Key
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types import ExecutionContext, Info

from subgraphs.platform.errors import DomainErrorsAsPayload, MaskInternalErrors, log_unexpected
from subgraphs.platform.exposure import HideSchema, IntrospectionVerdicts
from subgraphs.platform.hooks import HookRunner, HookTable
from subgraphs.platform.limits import LimitOperations, OperationLimits, SchemaCosts
from subgraphs.platform.plain_fields import PlainFieldsExecutor

# The newest version other federation tools here accept too (The Guild's
# composition stops at 2.9); it has every directive shopgraph uses.
FEDERATION_VERSION: Literal["2.9"] = "2.9"


def federation_schema(
    query: type,
    mutation: type | None = None,
    subscription: type | None = None,
    types: Iterable[type] = (),
    limits: OperationLimits = OperationLimits(),
    error_codes: type[enum.StrEnum] | None = None,
) -> Schema:
    # Documents repeat (routers send the same few); parsing and validation are
    # cached per document so each is done once; a document past the limits is
    # neither validated nor run.
    costs = SchemaCosts(limits.cost_list_size)
    verdicts = IntrospectionVerdicts()
    extensions: list[Callable[[], SchemaExtension]] = [
        MaskInternalErrors,
        lambda: ParserCache(maxsize=1000),
        lambda: LimitOperations(limits=limits, costs=costs),
        lambda: HideSchema(verdicts),
    ]
    if mutation is not None:
        _map_domain_errors(mutation)
    documented: list[type] = list(types)
    if error_codes is not None:
        # No field returns the enum (UserError.code is a String shared by every
        # subgraph); it is in the schema to list the codes a client may meet.
        documented.append(
            strawberry.enum(
                error_codes,
                description="Every `UserError.code` this subgraph answers with.",
            )
        )
    schema = SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=documented,
        extensions=extensions,
        federation_version=FEDERATION_VERSION,
        execution_context_class=PlainFieldsExecutor,
        config=StrawberryConfig(name_converter=RememberingNameConverter()),
    )
    costs.load(schema)
    return schema


class RememberingNameConverter(NameConverter):
    """Strawberry's names, each worked out once.

    Strawberry converts an argument's Python name to its GraphQL name (snake to
    camel case) again on every call of the resolver, to find its value: twenty
    product cards asking `reviews(first, after, sort)` did it sixty times per
    request. The conversion depends on the name alone.
    """

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._names.get(name)
        if converted is None:
            converted = self._names[name] = super().apply_naming_config(name)
        return converted


class SubgraphSchema(Schema):
    """Strawberry's federation schema, with `_entities` refusing malformed representations.

    Strawberry looks a representation's `__typename` up unchecked, so one without
    it, naming a type that is not an entity here, or lacking a key field ended
    as an internal error; each is now a GraphQL error at its own index, with
    code INVALID_REPRESENTATION, and the other representations still resolve.
    An entity type may resolve all its representations of a request at once
    (`resolve_references`, see `_batched`). Extension hooks are looked up once
    per extension type (`hooks.HookRunner`).
    """

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return HookRunner.create(self._hook_table, execution_context, extensions)

    @cached_property
    def _hook_table(self) -> HookTable:
        return HookTable()

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error, a client's typo included, at ERROR with a
        # traceback; only what an exception caused is logged, and once.
        log_unexpected(errors, execution_context.context if execution_context else None)

    async def entities_resolver(  # type: ignore[override]  # async, to await the batched types
        self, info: Info, representations: list[FederationAny]
    ) -> list[object]:
        results: list[object] = [None] * len(representations)
        batches: dict[ResolveReferences, list[int]] = {}
        for index, representation in enumerate(representations):
            problem = self._problem(representation)
            if problem is not None:
                error = GraphQLError(
                    f"representation {index} {problem}",
                    extensions={"code": "INVALID_REPRESENTATION"},
                )
                results[index] = FederationAny(error)
            elif (batched := self._batched.get(_typename(representation))) is not None:
                batches.setdefault(batched, []).append(index)
            else:
                # A copy: Strawberry pops its `__typename` and puts `info` in it, which
                # tied the operation's variables and its resolve info in a reference cycle.
                (results[index],) = super().entities_resolver(info, [copy(representation)])
        for resolve_references, indices in batches.items():
            keys = [_key_fields(representations[index]) for index in indices]
            try:
                found: Sequence[object] = await resolve_references(info, keys)
            except Exception as error:  # noqa: BLE001 - each item reports it, as Strawberry does
                found = [error] * len(indices)
            for index, entity in zip(indices, found, strict=True):
                results[index] = entity
        return results

    @cached_property
    def _batched(self) -> dict[str, ResolveReferences]:
        """The entity types that resolve many representations at once.

        `resolve_references(info, keys)` (keys without `__typename`) answers one
        entity or None per key, in order, from one awaited call. One coroutine per
        representation (`resolve_reference`) is a task each when graphql-core
        completes the list: 60 authors made 60 tasks and 60 DataLoader loads.
        """
        found: dict[str, ResolveReferences] = {}
        for name, type_ in self.schema_converter.type_map.items():
            batched = getattr(getattr(type_.definition, "origin", None), "resolve_references", None)
            if name in self._entity_keys and batched is not None:
                found[name] = batched
        return found

    def _problem(self, representation: object) -> str | None:
        if not isinstance(representation, dict):
            return "is not an object"
        type_name = representation.get("__typename")
        if not isinstance(type_name, str):
            return "has no __typename"
        keys = self._entity_keys.get(type_name)
        if keys is None:
            return f"names {type_name!r}, which is not an entity of this subgraph"
        if not any(fields <= representation.keys() for fields in keys):
            return f"lacks the key fields of {type_name}"
        return None

    @cached_property
    def _entity_keys(self) -> dict[str, list[set[str]]]:
        """Each entity type's keys, as the top-level field names each one needs.

        Read once: the type map is complete when the schema is built, and walking
        it again for every representation (80 in the social bench's listing) showed
        in profiles of `_entities`."""
        found: dict[str, list[set[str]]] = {}
        for name, type_ in self.schema_converter.type_map.items():
            directives = getattr(type_.definition, "directives", None) or ()
            keys = [d for d in directives if isinstance(d, Key)]
            if keys:
                found[name] = [_top_level_fields(str(key.fields)) for key in keys]
        return found


# An entity type's `resolve_references`: one entity or None per key, in order.
ResolveReferences: TypeAlias = Callable[
    [Info, list[dict[str, object]]], Awaitable[Sequence[object]]
]


def _typename(representation: object) -> str:
    # Checked by `_problem`: a dict with a string `__typename`.
    return cast("dict[str, str]", representation)["__typename"]


def _key_fields(representation: object) -> dict[str, object]:
    return {k: v for k, v in cast("dict[str, object]", representation).items() if k != "__typename"}


def _top_level_fields(field_set: str) -> set[str]:
    """The top-level names of a key's field set: "id owner { id }" needs id and owner."""
    names, depth = set(), 0
    for part in field_set.replace("{", " { ").replace("}", " } ").split():
        depth += (part == "{") - (part == "}")
        if depth == 0 and part.isidentifier():
            names.add(part)
    return names


def _map_domain_errors(mutation: type) -> None:
    """Every mutation answering with a payload that has `errors` maps domain errors there."""
    definition = mutation.__strawberry_definition__  # type: ignore[attr-defined]  # set by @strawberry.type
    for field in definition.fields:
        payload = field.type
        fields = getattr(payload, "__strawberry_definition__", None)
        if fields is None or "errors" not in {f.python_name for f in fields.fields}:
            continue
        if not any(isinstance(e, DomainErrorsAsPayload) for e in field.extensions):
            field.extensions.append(DomainErrorsAsPayload(payload))
