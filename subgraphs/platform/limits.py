"""Operation limits every subgraph applies itself: tokens, depth, aliases, nodes and cost.

Subgraph ports are reachable (compose.yaml publishes them), so a subgraph
cannot count on the router having refused a hostile document. The measure is
the router's own (`graphql_budget.measure`): fragments are measured once
each, so fragments that spread each other twice cannot stall it, which
Strawberry's `QueryDepthLimiter` and `MaxAliasesLimiter` (they expand every
spread) would. The cost is the router's estimate too (`graphql_budget.cost`),
read from the subgraph's own `@cost` / `@listSize`. The limits sit above the
router's defaults, because the router's fetches for an operation it accepted
must pass them.

Measuring and estimating cost on every request showed in profiles (a third
of the CPU an `_entities` fetch spends outside its resolvers), and a
subgraph is sent the same few documents again and again. So each schema
remembers the documents it accepted (`AcceptedDocuments`): the same text,
under the same limits, with variables of the same shape, passes again
without being measured. A refusal is never remembered; it is worked out anew.
Validation is remembered by the document's text too (`validated`): Strawberry's
`ValidationCache` keyed it by the parsed document, whose hash graphql-core
works out again over the whole tree on every lookup (8-13 us for the
documents a checkout sends).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.federation import Schema
from strawberry.schema.schema import validate_document

from graphql_budget.cost import CostEstimator, SlicingArgumentRequired
from graphql_budget.directives import ListSize, read_costs
from graphql_budget.measure import excess, measure_operations

ENTITIES = ("Query", "_entities")
# Distinct (document, variables shape) pairs remembered as accepted, per schema.
ACCEPTED_DOCUMENTS = 2048
# Distinct document texts whose validation is remembered, per schema.
VALIDATED_DOCUMENTS = 1000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True)
class OperationLimits:
    max_tokens: int = 20_000
    max_depth: int = 64
    max_aliases: int = 256
    max_query_nodes: int = 5_000
    max_cost: int = 50_000
    cost_list_size: int = 10  # for list fields without @listSize


class SchemaCosts:
    """The cost estimate of one subgraph schema, made once that schema exists.

    The schema's extensions are listed before it is built, so they hold this
    and `federation_schema` loads it right after.
    """

    def __init__(self, default_list_size: int) -> None:
        self.default_list_size = default_list_size
        self.estimator: CostEstimator | None = None
        self.accepted = AcceptedDocuments(ACCEPTED_DOCUMENTS)
        # Validation errors (none: []) by document text and validation rules.
        self.validated: RecentlyUsed[
            tuple[str, tuple[type[ASTValidationRule], ...]], list[GraphQLError]
        ] = RecentlyUsed(VALIDATED_DOCUMENTS)

    def load(self, schema: Schema) -> None:
        stated = read_costs(parse(schema.as_str()))
        # The router's entity fetches hold as many entities as representations.
        entities = ListSize(slicing_arguments=("representations",))
        directives = replace(stated, list_sizes={**stated.list_sizes, ENTITIES: entities})
        # Strawberry's graphql-core schema: the one its validation and execution use.
        graphql_schema = schema._schema
        self.estimator = CostEstimator(graphql_schema, directives, self.default_list_size)


class LimitOperations(SchemaExtension):
    """Refuses documents past `OperationLimits`; validates (remembered by text) the others.

    It takes the place of Strawberry's `ValidationCache`, which would validate
    (and overwrite the refusal) whatever ran before it.
    """

    def __init__(self, *, limits: OperationLimits, costs: SchemaCosts) -> None:
        super().__init__()
        self.limits = limits
        self.costs = costs

    def on_operation(self) -> Iterator[None]:
        # The process's configured limits (from settings, via the request context)
        # take the place of the schema's defaults.
        configured = getattr(self.execution_context.context, "limits", None)
        if isinstance(configured, OperationLimits):
            self.limits = configured
        # graphql-core stops parsing past this many tokens.
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is None:  # not parsed: Strawberry does not validate then
            yield
            return
        refusal = self._checked(document)
        # A refusal takes validation's place: Strawberry returns it instead.
        errors = [refusal] if refusal is not None else self._validation_errors(document)
        self.execution_context.pre_execution_errors = errors
        yield

    def _validation_errors(self, document: DocumentNode) -> list[GraphQLError]:
        """Strawberry's validation of `document`, done once per text under the same rules.

        The parsed document is the parser cache's for the text (parsing is a
        function of it), so the text stands for it, as in `_checked`.
        """
        context = self.execution_context
        schema, rules = context.schema._schema, context.validation_rules
        if context.query is None:
            return validate_document(schema, document, rules)
        key = (context.query, rules)
        errors = self.costs.validated.get(key)
        if errors is None:
            errors = validate_document(schema, document, rules)
            self.costs.validated.put(key, errors)
        return errors

    def _checked(self, document: DocumentNode) -> GraphQLError | None:
        """The refusal of `document`, skipped when it was accepted before in this shape.

        The parsed document is the parser cache's for the query text, so the text
        stands for it; the cost reads variables only through their shape.
        """
        query = self.execution_context.query
        if query is None:
            return self._refusal(document)
        key = (query, self.limits, variables_shape(self.execution_context.variables or {}))
        if key in self.costs.accepted:
            return None
        refusal = self._refusal(document)
        if refusal is None:
            self.costs.accepted.add(key)
        return refusal

    def _refusal(self, document: DocumentNode) -> GraphQLError | None:
        limits = self.limits
        for operation, measure in measure_operations(document):
            found = excess(measure, limits.max_depth, limits.max_aliases, limits.max_query_nodes)
            if found is not None:
                code, what = found
                return GraphQLError(f"The operation {what}", extensions={"code": code})
            refusal = self._cost_refusal(operation, document)
            if refusal is not None:
                return refusal
        return None

    def _cost_refusal(
        self, operation: OperationDefinitionNode, document: DocumentNode
    ) -> GraphQLError | None:
        estimator = self.costs.estimator
        if estimator is None:
            return None
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        variables = self.execution_context.variables or {}
        try:
            cost = estimator.estimate(operation, fragments, variables)
        except SlicingArgumentRequired as refused:
            return GraphQLError(str(refused), extensions={"code": refused.code})
        if cost <= self.limits.max_cost:
            return None
        return GraphQLError(
            f"The operation's estimated cost is {cost}; the limit (max cost) is "
            f"{self.limits.max_cost}.",
            extensions={
                "code": "COST_LIMIT_EXCEEDED",
                "cost": {"estimated": cost, "max": self.limits.max_cost},
            },
        )


class RecentlyUsed(Generic[K, V]):
    """The last `size` entries used, the least recently used forgotten first.

    Bounded, since every distinct text a caller sends would otherwise stay.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)


class AcceptedDocuments(RecentlyUsed[Hashable, bool]):
    """The keys of documents accepted, as a bounded set."""

    def __contains__(self, key: Hashable) -> bool:
        return self.get(key) is not None

    def add(self, key: Hashable) -> None:
        self.put(key, True)


def variables_shape(variables: Mapping[str, object]) -> Hashable:
    """What the cost estimate can read of `variables`: every value but list contents
    and text.

    A slicing argument counts a list by its length and never looks inside it, so
    3 `_entities` representations have one shape whatever they hold. A string is
    read only as given or not (a slicing argument or `@skip`/`@include` flag that
    is text counts as no size, and as true when not empty), so ids and
    idempotency keys, new on every request, leave the shape as it was. Other
    scalars keep their type beside their value: 1, 1.0 and True are equal in
    Python, not in a cost estimate.
    """
    return tuple((name, _shape(value)) for name, value in variables.items())


def _shape(value: object) -> Hashable:
    if isinstance(value, str):
        return (str, value != "")
    if isinstance(value, list):
        return (list, len(value))
    if isinstance(value, dict):
        return (dict, tuple((name, _shape(item)) for name, item in value.items()))
    return (type(value), value)
