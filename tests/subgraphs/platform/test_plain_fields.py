"""PlainFieldsExecutor answers exactly what graphql-core's executor answers.

One schema, run by Strawberry's executor and by ours, on hand-written
operations (aliases, fragments, @skip/@include, __typename, nulls where none
may be, exceptions, awaitables, iterators, unions) and on generated ones; data
and errors (messages, paths, locations) must be equal.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Generator, Iterator
from typing import Any

import pytest
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from subgraphs.platform.plain_fields import PlainFieldsExecutor


@strawberry.enum
class Kind(enum.Enum):
    TOOL = "tool"
    TOY = "toy"


@strawberry.type
class Owner:
    name: str
    nickname: str | None = None


@strawberry.type
class Gadget:
    serial: str


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    kind: Kind
    price: float | None
    tags: list[str]
    scores: list[int | None] | None
    owner: Owner | None
    owners: list[Owner]
    children: list[Item]
    # Must never be null; some items break that rule, as a bug would.
    count: int
    thing: Gadget | Owner | None = None

    @strawberry.field
    def label(self, upper: bool = False) -> str:
        return self.name.upper() if upper else self.name


def _item(n: int, **changes: Any) -> Item:
    values: dict[str, Any] = {
        "id": strawberry.ID(str(n)),
        "name": f"item {n}",
        "kind": Kind.TOOL if n % 2 else Kind.TOY,
        "price": None if n % 3 == 0 else n + 0.5,
        "tags": [f"t{n}", "common"],
        "scores": None if n % 4 == 0 else [n, None, 2 * n],
        "owner": None if n % 2 else Owner(name=f"owner {n}", nickname=None if n % 3 else "nick"),
        "owners": [Owner(name="a"), Owner(name="b", nickname="bee")],
        "children": [],
        "count": n,
        "thing": Gadget(serial=f"s{n}") if n % 2 else Owner(name="thing owner"),
    }
    values.update(changes)
    return Item(**values)


class Later:
    """An awaitable 7 (a coroutine left unawaited would warn when no one asks for it)."""

    def __await__(self) -> Generator[None, None, int]:
        return 7
        yield  # makes this a generator


def _iterator() -> Iterator[str]:
    yield from ("once", "only")


class Broken(Exception):
    pass


def _items() -> list[Item]:
    return [
        _item(1, children=[_item(10), _item(11, children=[_item(110)])]),
        _item(2),
        _item(3, count=None),  # null where the schema promises a value
        _item(4, tags=_iterator()),  # a one-shot iterator
        _item(5, owners=[Owner(name="c"), Owner(name=None)]),  # type: ignore[arg-type]  # null in a list
        _item(6, scores=Broken("no scores")),  # an exception as a value
        _item(7, kind="not a kind"),  # a leaf that does not coerce
        _item(8, children=[_item(80, price="free")]),
        _item(9, owners=(Owner(name="tuple"),)),
    ]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def first(self) -> Item:
        return _items()[0]

    @strawberry.field
    def broken(self) -> Item | None:
        return _items()[2]

    @strawberry.field
    def waiting(self) -> Item:
        return _item(12, count=Later())


FAST = strawberry.Schema(query=Query, execution_context_class=PlainFieldsExecutor)
USUAL = strawberry.Schema(query=Query)

OPERATIONS = [
    "{ items { id name kind price tags scores count } }",
    "{ first { id name owner { name nickname } owners { name nickname } } }",
    "{ first { children { id children { id children { id name } } } } }",
    "{ items { a: name b: name name id: count count: id } }",
    "{ items { __typename owner { __typename name } owners { __typename } } }",
    "{ first { ...F children { ...F } } } fragment F on Item { id name owner { name } }",
    "{ first { ... on Item { id } ... { name price } } }",
    "{ first { id name @skip(if: true) price @include(if: false) tags @include(if: true) } }",
    "{ items { id owner @include(if: true) { name } owners @skip(if: true) { name } } }",
    "{ first { id name } first { price owner { name } } }",
    "{ items { owners { name } } }",
    "{ broken { id count } }",
    "{ broken { id } }",
    "{ items { id label label2: label(upper: true) } }",
    "{ items { label count kind scores tags price owners { name } children { label price } } }",
    "{ items { thing { __typename ... on Gadget { serial } ... on Owner { name } } } }",
    "{ waiting { id count } }",
    "{ items { children { price } } }",
    "{ items { kind } }",
    "{ items { scores } }",
    "{ items { tags } }",
]


def _answer(schema: strawberry.Schema, operation: str, variables: Any = None) -> Any:
    result = schema.execute_sync(operation, variable_values=variables)
    errors = [(e.message, e.path, e.locations) for e in result.errors or []]
    return result.data, errors


async def _answer_async(schema: strawberry.Schema, operation: str) -> Any:
    result = await schema.execute(operation)
    errors = [(e.message, e.path, e.locations) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("operation", OPERATIONS)
async def test_the_answer_is_graphql_cores(operation: str) -> None:
    assert await _answer_async(FAST, operation) == await _answer_async(USUAL, operation)


@pytest.mark.parametrize(("skip", "include"), [(True, True), (False, True), (False, False)])
def test_skip_and_include_from_variables(skip: bool, include: bool) -> None:
    operation = """query Q($skip: Boolean!, $include: Boolean!) {
      items { id name @skip(if: $skip) owner @include(if: $include) { name } }
    }"""
    variables = {"skip": skip, "include": include}
    assert _answer(FAST, operation, variables) == _answer(USUAL, operation, variables)


def test_plain_objects_are_completed_without_the_executor(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fast path is taken (not only correct because it fell back every time).
    calls: list[str] = []
    usual = PlainFieldsExecutor.execute_field

    def counted(self: PlainFieldsExecutor, parent_type: Any, *args: Any) -> Any:
        calls.append(parent_type.name)
        return usual(self, parent_type, *args)

    monkeypatch.setattr(PlainFieldsExecutor, "execute_field", counted)
    data, errors = _answer(FAST, "{ first { id name owners { name } children { id } } }")

    assert not errors
    assert data["first"]["owners"] == [{"name": "a"}, {"name": "b"}]
    assert calls == ["Query"]


def test_the_plain_fields_of_an_object_with_resolvers_skip_the_executor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Item.label has a resolver: graphql-core runs it, and only it, of Item's fields.
    reached: list[str] = []
    usual = StrawberryGraphQLCoreExecutionContext.execute_field

    def counted(self: Any, parent_type: Any, source: Any, details: Any, *args: Any) -> Any:
        reached.append(f"{parent_type.name}.{details[0].node.name.value}")
        return usual(self, parent_type, source, details, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counted)
    operation = "{ first { id label name owner { name } owners { name } } }"
    fast = _answer(FAST, operation)
    monkeypatch.undo()

    assert fast == _answer(USUAL, operation)
    assert reached == ["Query.first", "Item.label"]


class Shout(SchemaExtension):
    """An extension that wraps every resolver: the plain pass must step aside."""

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        value = _next(root, info, *args, **kwargs)
        return value.upper() if isinstance(value, str) else value


def test_an_extension_resolving_fields_sees_every_field() -> None:
    operation = "{ first { name owner { name } owners { name } } }"
    fast = strawberry.Schema(
        query=Query, execution_context_class=PlainFieldsExecutor, extensions=[Shout]
    )
    usual = strawberry.Schema(query=Query, extensions=[Shout])

    assert _answer(fast, operation) == _answer(usual, operation)
    assert _answer(fast, operation)[0]["first"]["owners"] == [{"name": "A"}, {"name": "B"}]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_generated_operations(data: st.DataObject) -> None:
    operation = data.draw(from_schema(USUAL.as_str()))
    assert asyncio.run(_answer_async(FAST, operation)) == asyncio.run(
        _answer_async(USUAL, operation)
    )
