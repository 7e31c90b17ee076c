"""Completing plain objects without graphql-core's per-field machinery, same answer.

A page of a listing is mostly plain data: Strawberry types whose fields are
attributes (no resolver, no arguments, no extension), nested in lists, down to
scalars. The social listing completes about 440 fields for 20 product cards, and
graphql-core spends the same on each of them whatever it holds: a Path, a
GraphQLResolveInfo, an awaitable check and a chain of `complete_*` calls. That
was most of social's CPU per listing.

`PlainFieldsExecutor` completes such fields in one recursive pass instead:
the same resolvers (Strawberry's own attribute read), the same
`coerce_output_value` for leaves, the same grouped field sets (so aliases,
fragments, @skip/@include and __typename come out as graphql-core has them).
A plain field is one of those whose whole selection is plain; it takes this
path only when nothing wraps resolvers (no extension with a `resolve` hook)
and nothing is deferred or streamed. Any value the pass does not expect (None
for a non-null field, an exception, an awaitable, a list that is not a list or
tuple, a leaf that does not coerce, or anything raising) abandons it for that
object or field, which graphql-core then completes from the start as usual:
errors, their paths and null propagation are always its own. Attribute reads
have no side effects, so reading them twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from graphql import (
    ExecutionResult,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution import ExperimentalIncrementalExecutionResults
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# Directives a plain field may carry: graphql-core applies them while it collects
# fields, before completion. Any other (@stream, @defer) keeps graphql-core's path.
_COLLECTION_DIRECTIVES = frozenset({"skip", "include"})


# A value's completion: graphql-core's answer for it, or _NotPlain; and an object's.
Completer: TypeAlias = Callable[[Any], Any]
ObjectCompleter: TypeAlias = Callable[[Any], dict[str, Any]]


class _NotPlain(Exception):
    """A value the plain pass does not complete; graphql-core completes the object."""


class PlainFieldsExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's graphql-core executor, completing plain objects in one pass.

    An object whose selection is plain throughout is completed whole
    (`execute_fields`); in an object with resolvers too, each plain field is
    (`execute_field`), and graphql-core runs the others. A finished execution
    leaves no reference cycle behind (`build_response`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per request, keyed by type and the id of a grouped field set or of one
        # field's details, as graphql-core memoises collect_subfields: whether that
        # selection is plain throughout. Each key's object is kept with its answer,
        # so that its id is not reused meanwhile.
        self._plain_sets: dict[tuple[GraphQLObjectType, int], tuple[object, bool]] = {}
        self._plain_fields: dict[tuple[GraphQLObjectType, int], tuple[object, bool]] = {}
        self._object_completers: dict[
            tuple[GraphQLObjectType, int], tuple[object, ObjectCompleter]
        ] = {}
        self._field_completers: dict[tuple[GraphQLObjectType, int], tuple[object, Completer]] = {}
        middleware = self.middleware_manager
        self._enabled = middleware is None or not middleware.middlewares

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        # A position context means deferred delivery is under way: not ours.
        if (
            self._enabled
            and position_context is None
            and self._is_plain(parent_type, grouped_field_set)
        ):
            try:
                return self._object_completer(parent_type, grouped_field_set)(source_value)
            except Exception:  # noqa: BLE001, S110 - graphql-core completes it, errors and all
                pass
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        if (
            self._enabled
            and position_context is None
            and self._plain_field(parent_type, field_details_list)
        ):
            try:
                return self._field_completer(parent_type, field_details_list)(source)
            except Exception:  # noqa: BLE001, S110 - graphql-core completes it, errors and all
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def build_response(
        self, data: dict[str, Any] | None
    ) -> ExecutionResult | ExperimentalIncrementalExecutionResults:
        response = super().build_response(data)
        if isinstance(response, ExecutionResult):
            # The operation is over, nothing deferred or streamed is left to run.
            # graphql-core keeps its resolvers' async helpers on the executor, and
            # they are bound methods of it: a reference cycle, which left the
            # executor and all the request hung on it (collected fields, the
            # completers above) to the cyclic collector: 60 objects for
            # `{ __typename }`, about 480 for each addToCart and checkout. Dropped,
            # they go with the response. A resolve info still holding the helpers
            # keeps them (and this executor) alive.
            del self.async_helpers
        return response

    def _is_plain(self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> bool:
        key = (parent_type, id(grouped_field_set))
        known = self._plain_sets.get(key)
        if known is None:
            plain = all(
                self._plain_field(parent_type, details) for details in grouped_field_set.values()
            )
            known = self._plain_sets[key] = (grouped_field_set, plain)
        return known[1]

    def _plain_field(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> bool:
        key = (parent_type, id(details))
        known = self._plain_fields.get(key)
        if known is None:
            known = self._plain_fields[key] = (details, self._check_field(parent_type, details))
        return known[1]

    def _check_field(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> bool:
        for field in details:
            node = field.node
            if field.defer_usage is not None or node.arguments:
                return False
            if any(d.name.value not in _COLLECTION_DIRECTIVES for d in node.directives or ()):
                return False
        name = details[0].node.name.value
        if name == "__typename":
            return True
        field_def = parent_type.fields.get(name)
        # Strawberry marks the resolver of an attribute field (no resolver, no
        # extension, no exception handler) `_is_default`.
        if (
            field_def is None
            or field_def.args
            or not getattr(field_def.resolve, "_is_default", False)
        ):
            return False
        named = _named(field_def.type)
        if is_leaf_type(named):
            return True
        if not is_object_type(named) or named.is_type_of is not None:
            return False  # an interface or union, or a type checked at run time
        sub_fields, new_defer_usages, _ = self.collect_subfields(named, details)
        return not new_defer_usages and self._is_plain(named, sub_fields)

    # Completers: one function per selection, built on first use in a request,
    # so that completing each value does no type dispatch. Each is graphql-core's
    # complete_value for the values it expects, and raises _NotPlain for others.

    def _object_completer(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> ObjectCompleter:
        key = (parent_type, id(grouped_field_set))
        known = self._object_completers.get(key)
        if known is None:
            fields = [
                (response_name, self._field_completer(parent_type, details))
                for response_name, details in grouped_field_set.items()
            ]

            def complete_object(source: Any) -> dict[str, Any]:
                return {response_name: complete(source) for response_name, complete in fields}

            known = self._object_completers[key] = (grouped_field_set, complete_object)
        return known[1]

    def _field_completer(
        self, parent_type: GraphQLObjectType, details: FieldDetailsList
    ) -> Completer:
        key = (parent_type, id(details))
        known = self._field_completers.get(key)
        if known is None:
            known = self._field_completers[key] = (details, self._new_field(parent_type, details))
        return known[1]

    def _new_field(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> Completer:
        name = details[0].node.name.value
        if name == "__typename":
            type_name = parent_type.name
            return lambda _source: type_name
        field_def = parent_type.fields[name]
        resolve = field_def.resolve  # checked: Strawberry's attribute read, which needs no info
        complete = self._value_completer(field_def.type, details)
        return lambda source: complete(resolve(source, None))

    def _value_completer(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Completer:
        is_awaitable = self.is_awaitable

        def usable(value: Any) -> bool:
            """False for null; raises for what graphql-core alone completes."""
            if isinstance(value, Exception) or is_awaitable(value):
                raise _NotPlain
            return value is not None and value is not Undefined

        if is_non_null_type(type_):
            inner = self._value_completer(type_.of_type, details)

            def complete_non_null(value: Any) -> Any:
                completed = inner(value)
                if completed is None:
                    raise _NotPlain
                return completed

            return complete_non_null
        if is_list_type(type_):
            item = self._value_completer(type_.of_type, details)

            def complete_list(value: Any) -> Any:
                if not usable(value):
                    return None
                # A list or tuple only: a one-shot iterator read here would be
                # empty for graphql-core when it takes over.
                if type(value) not in (list, tuple):
                    raise _NotPlain
                return [item(each) for each in value]

            return complete_list
        if is_leaf_type(type_):
            coerce = type_.coerce_output_value

            def complete_leaf(value: Any) -> Any:
                if not usable(value):
                    return None
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _NotPlain
                return coerced

            return complete_leaf
        object_type: GraphQLObjectType = type_  # type: ignore[assignment]  # checked by _is_plain
        sub_fields = self.collect_subfields(object_type, details).grouped_field_set
        complete_fields = self._object_completer(object_type, sub_fields)

        def complete_object(value: Any) -> Any:
            return complete_fields(value) if usable(value) else None

        return complete_object


def _named(type_: GraphQLOutputType) -> Any:
    while isinstance(type_, (GraphQLNonNull, GraphQLList)):
        type_ = type_.of_type
    return type_
