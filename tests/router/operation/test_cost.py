"""Static cost estimates (demand control), checked against figures worked out by hand.

The small supergraph below is written as another composer writes one: the cost
spec linked with `@cost` renamed to `@price`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphql_budget.cost import MAX_ESTIMATE, SlicingArgumentRequired
from router.config import RouterConfig
from router.operation import CostEstimator, CostLimit, DocumentCache, DocumentLimits, RequestError
from router.supergraph import Supergraph, load_supergraph

SDL = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)
  @link(url: "https://specs.apollo.dev/cost/v0.1", import: [{name: "@cost", as: "@price"}, "@listSize"])
{ query: Query mutation: Mutation }

directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false,
  resolvable: Boolean! = true, isInterfaceObject: Boolean! = false)
  repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet,
  type: String, external: Boolean, override: String, usedOverridden: Boolean)
  repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
directive @price(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION
  | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!],
  requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph { SHOP @join__graph(name: "shop", url: "http://shop.invalid") }

type Query @join__type(graph: SHOP) {
  books(first: Int = 20, last: Int): BookConnection
    @listSize(slicingArguments: ["first", "last"], sizedFields: ["edges"],
      requireOneSlicingArgument: false)
  loans(first: Int, last: Int): [Book!]! @listSize(slicingArguments: ["first", "last"])
  shelves: [Shelf!]! @listSize(assumedSize: 4)
  tags: [String!]!
  search(text: String! @price(weight: 7)): [Book!]! @price(weight: 30)
}
type Mutation @join__type(graph: SHOP) { borrow(id: ID!): Book }
type BookConnection @join__type(graph: SHOP) { edges: [Book!]! total: Int! }
type Book @join__type(graph: SHOP) @price(weight: 3) {
  id: ID!
  title: String!
  genre: Genre!
  related(first: Int!): [Book!]! @listSize(slicingArguments: ["first"])
}
type Shelf @join__type(graph: SHOP) { name: String! books: [Book!]! }
enum Genre @join__type(graph: SHOP) @price(weight: 2) { NOVEL POEM }
"""


def _estimate(supergraph: Supergraph, query: str, variables: dict[str, Any] | None = None) -> int:
    # No node limit here: the estimate itself must cope with any document.
    documents = DocumentCache(supergraph.api_schema, DocumentLimits(15_000, 50, 200, 2**62), 10)
    prepared = documents.prepare(query).select(None)
    return CostEstimator(supergraph.api_schema, supergraph.costs, 10).estimate(
        prepared.operation, prepared.fragments, variables or {}
    )


SMALL = load_supergraph(SDL)


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        # Scalars cost nothing, the root type is not counted.
        ("{ tags }", None, 0),
        # 20 edges (the default of `first`) of Book (3 each), the connection 1.
        ("{ books { edges { id } total } }", None, 1 + 20 * 3),
        ("{ books(first: 5) { edges { id } } }", None, 1 + 5 * 3),
        # The largest slicing argument given wins; a variable counts as given.
        ("query($n: Int) { books(first: 5, last: $n) { edges { id } } }", {"n": 8}, 1 + 8 * 3),
        # An enum with a weight costs it; nested lists multiply.
        (
            "{ books(first: 2) { edges { genre related(first: 3) { id } } } }",
            None,
            1 + 2 * (3 + 2 + 3 * 3),
        ),
        # assumedSize; a list without @listSize takes the default size (10).
        ("{ shelves { name books { id } } }", None, 4 * (1 + 10 * 3)),
        # A field's own weight replaces its type's; arguments given add theirs.
        ('{ search(text: "x") { id } }', None, 10 * 30 + 7),
        # A fragment spread twice counts once; a skipped field costs nothing.
        (
            "{ books(first: 1) { edges { ...B ...B title @skip(if: true) } } } "
            "fragment B on Book { related(first: 2) { id } }",
            None,
            1 + 1 * (3 + 2 * 3),
        ),
        ("query($s: Boolean!) { shelves @include(if: $s) { name } }", {"s": False}, 0),
        # Each root mutation field adds 10.
        ('mutation { borrow(id: "1") { id } }', None, 10 + 3),
    ],
)
def test_the_estimate_follows_the_cost_spec(
    query: str, variables: dict[str, Any] | None, cost: int
) -> None:
    assert _estimate(SMALL, query, variables) == cost


def test_doubling_fragments_are_estimated_without_expanding_them() -> None:
    fragments = ["fragment F0 on Book { related(first: 2) { id } }"] + [
        f"fragment F{i} on Book {{ ...F{i - 1} ...G{i - 1} }} "
        f"fragment G{i - 1} on Book {{ ...F{i - 1} }}"
        for i in range(1, 40)
    ]
    query = "{ books(first: 1) { edges { ...F39 } } } " + " ".join(fragments)

    assert _estimate(SMALL, query) == 1 + 3 + 2**39 * 2 * 3


def test_over_the_limit_the_operation_is_refused_with_its_estimate() -> None:
    documents = DocumentCache(SMALL.api_schema, DocumentLimits(15_000, 50, 200, 4_000), 10)
    limit = CostLimit(CostEstimator(SMALL.api_schema, SMALL.costs, 10), 100, 10)
    cheap = documents.prepare("{ books(first: 5) { edges { id } } }").select(None)
    dear = documents.prepare("{ books(first: 50) { edges { id } } }").select(None)

    assert limit.check(cheap, {}) == 16
    with pytest.raises(RequestError) as raised:
        limit.check(dear, {})
    assert raised.value.errors == [
        {
            "message": "The operation's estimated cost is 151; the limit (max cost) is 100.",
            "extensions": {"code": "COST_LIMIT_EXCEEDED", "cost": {"estimated": 151, "max": 100}},
        }
    ]


SHOP = load_supergraph((Path(__file__).parents[3] / "schema" / "supergraph.graphql").read_text())
# What the storefront and the README's demo ask, at their largest pages.
DEMO_QUERIES = [
    """query Search($q: String!, $first: Int, $after: String) {
      searchProducts(query: $q, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        facets { name values { value label count } }
        edges { cursor node { id name price { amount currency } category { id name } } }
      }
    }""",
    """{ products(first: 100, sort: PRICE_ASC) {
        edges { node { id name price { amount currency } category { name } } } totalCount }
      categories { id name slug } }""",
    """{ myOrders(first: 100) { edges { node { id status total { amount currency }
        lines { productName quantity unitPrice { amount } product { id name } }
        payments { status cardLast4 } } } } }""",
    """{ me { id username email
        orders(first: 20) { edges { node { id total { amount } lines { quantity
          product { name price { amount } } } } } }
        cart { itemCount subtotal { amount } lines { quantity product { name } } } } }""",
]


@pytest.mark.parametrize("query", DEMO_QUERIES)
def test_every_demo_query_is_under_the_default_limit(query: str) -> None:
    assert _estimate(SHOP, query, {"q": "lamp", "first": 100}) <= RouterConfig().max_cost


def test_a_list_slicing_argument_sizes_by_its_length() -> None:
    sdl = SDL.replace(
        "tags: [String!]!",
        'pick(ids: [ID!]!): [Book!]! @listSize(slicingArguments: ["ids"])',
    )
    query = "query($ids: [ID!]!) { pick(ids: $ids) { id } }"

    assert _estimate(load_supergraph(sdl), query, {"ids": ["1", "2", "3"]}) == 3 * 3


@pytest.mark.parametrize(
    ("query", "variables", "given"),
    [
        ("{ loans { id } }", None, 0),
        ("{ loans(first: 2, last: 3) { id } }", None, 2),
        ("query($n: Int) { loans(first: $n) { id } }", {"n": None}, 0),
    ],
)
def test_a_list_that_requires_one_slicing_argument_refuses_none_or_several(
    query: str, variables: dict[str, Any] | None, given: int
) -> None:
    with pytest.raises(SlicingArgumentRequired) as raised:
        _estimate(SMALL, query, variables)
    assert str(raised.value) == (
        "Field 'Query.loans' needs exactly one of its slicing arguments (first, last); "
        f"the operation gives {given}."
    )


def test_one_slicing_argument_sizes_the_list_and_the_router_refuses_without() -> None:
    assert _estimate(SMALL, "{ loans(last: 2) { id } }") == 2 * 3
    documents = DocumentCache(SMALL.api_schema, DocumentLimits(15_000, 50, 200, 4_000), 10)
    limit = CostLimit(CostEstimator(SMALL.api_schema, SMALL.costs, 10), 1_000, 10)
    with pytest.raises(RequestError) as raised:
        limit.check(documents.prepare("{ loans { id } }").select(None), {})
    assert raised.value.errors == [
        {
            "message": "Field 'Query.loans' needs exactly one of its slicing arguments "
            "(first, last); the operation gives 0.",
            "extensions": {"code": "SLICING_ARGUMENT_REQUIRED"},
        }
    ]


def test_an_astronomical_estimate_saturates_where_json_still_holds_it() -> None:
    nested = "related(first: 2000000000) { " * 4 + "id" + " }" * 4
    query = f"{{ books(first: 2000000000) {{ edges {{ {nested} }} }} }}"
    assert _estimate(SMALL, query) == MAX_ESTIMATE == 2**53 - 1


class CountingEstimator(CostEstimator):
    """The estimator, noting the variables of each estimate it makes."""

    def __init__(self, supergraph: Supergraph) -> None:
        super().__init__(supergraph.api_schema, supergraph.costs, 10)
        self.made: list[dict[str, Any]] = []

    def estimate(self, operation: Any, fragments: Any, variables: Any) -> int:
        self.made.append(dict(variables))
        return super().estimate(operation, fragments, variables)


def test_an_estimate_is_kept_for_the_variables_it_reads_and_shared_by_the_others() -> None:
    documents = DocumentCache(SMALL.api_schema, DocumentLimits(15_000, 50, 200, 4_000), 10)
    estimator = CountingEstimator(SMALL)
    limit = CostLimit(estimator, 1_000, 10)
    query = """query($n: Int, $text: String!, $more: Boolean!) {
      loans(first: $n) { id related(first: 2) @include(if: $more) { id } }
      search(text: $text) { id }
    }"""
    prepared = documents.prepare(query).select(None)

    def check(**variables: Any) -> int:
        return limit.check(prepared, {"text": "poems", **variables})

    search = 10 * 30 + 7  # ten books at 30, its argument 7
    assert check(n=2, more=False) == 2 * 3 + search
    assert check(n=2, more=False, text="novels") == 2 * 3 + search  # $text: not read
    assert check(n=5, more=False) == 5 * 3 + search
    assert check(n=2, more=True) == 2 * (3 + 2 * 3) + search
    assert check(n=2, more=False) == 2 * 3 + search
    assert [made["n"] for made in estimator.made] == [2, 5, 2]
    with pytest.raises(RequestError):  # a null slicing argument is not given: refused each time
        check(n=None, more=False)
    with pytest.raises(RequestError):
        check(n=None, more=False)
    assert len(estimator.made) == 5


def test_an_operation_reading_no_variable_is_estimated_once() -> None:
    documents = DocumentCache(SMALL.api_schema, DocumentLimits(15_000, 50, 200, 4_000), 10)
    estimator = CountingEstimator(SMALL)
    limit = CostLimit(estimator, 1_000, 10)
    borrow = documents.prepare("mutation($id: ID!) { borrow(id: $id) { id } }").select(None)

    assert [limit.check(borrow, {"id": str(n)}) for n in range(3)] == [3 + 10] * 3
    assert estimator.made == [{"id": "0"}]
