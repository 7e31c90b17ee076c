"""Extension hooks run as Strawberry runs them: same order in and out, same errors seen.

Each case runs on a subgraph schema (`HookRunner`) and on Strawberry's own
federation schema (its runner); what the hooks saw must be the same, and as
written here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import pytest
from graphql import GraphQLError
from strawberry import federation
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from subgraphs.platform.schema import SubgraphSchema
from tests.subgraphs.platform.test_errors import Query

Extensions = Callable[[list[str]], Sequence[Callable[[], SchemaExtension]]]


def recording(name: str, seen: list[str]) -> Callable[[], SchemaExtension]:
    class Recording(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            seen.append(f"{name} operation in")
            yield
            result = self.execution_context.result
            errors = [e.message for e in (result.errors or [])] if result else None
            seen.append(f"{name} operation out {errors}")

        def on_parse(self) -> Iterator[None]:
            seen.append(f"{name} parse in")
            try:
                yield
            except GraphQLError as error:
                seen.append(f"{name} parse raised {error.message}")
                raise
            seen.append(f"{name} parse out")

        def on_execute(self) -> Iterator[None]:
            seen.append(f"{name} execute in")
            yield
            seen.append(f"{name} execute out")

    return Recording


class Failing(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        raise GraphQLError("refused before parsing")
        yield  # a generator hook, as Strawberry requires


def asynchronous(seen: list[str]) -> Callable[[], SchemaExtension]:
    class Asynchronous(SchemaExtension):
        async def on_operation(self) -> AsyncIterator[None]:
            seen.append("async in")
            yield
            seen.append("async out")

    return Asynchronous


async def run(query: str, extensions: Extensions) -> tuple[ExecutionResult, list[str]]:
    """The subgraph schema's result and what its hooks saw, once equal to Strawberry's."""
    answers = []
    for schema_type in (SubgraphSchema, federation.Schema):
        seen: list[str] = []
        schema = schema_type(query=Query, extensions=extensions(seen))
        result = await schema.execute(query)
        answers.append((result, [e.formatted for e in result.errors or []], seen))
    (ours, our_errors, our_seen), (_, their_errors, their_seen) = answers
    assert (our_errors, our_seen) == (their_errors, their_seen)
    return ours, our_seen


async def test_hooks_enter_in_order_and_leave_in_reverse_at_every_stage() -> None:
    result, seen = await run(
        "{ shelf { items(first: 1) } }", lambda seen: [recording("a", seen), recording("b", seen)]
    )

    assert result.data == {"shelf": {"items": [0]}}
    assert seen == [
        "a operation in",
        "b operation in",
        "a parse in",
        "b parse in",
        "b parse out",
        "a parse out",
        "a execute in",
        "b execute in",
        "b execute out",
        "a execute out",
        "b operation out []",
        "a operation out []",
    ]


async def test_a_hook_failing_to_enter_fails_the_stage_and_the_operation() -> None:
    result, seen = await run(
        "{ broken }", lambda seen: [recording("a", seen), Failing, recording("b", seen)]
    )

    assert [error.message for error in result.errors or []] == ["refused before parsing"]
    # Strawberry leaves no hook of the operation with the error: they never see it.
    assert seen == ["a operation in", "b operation in", "a parse in"]


@pytest.mark.parametrize("query", ["{ broken }", "{ nope }", "{"])
async def test_errors_reach_the_hooks_as_they_do_in_strawberry(query: str) -> None:
    result, seen = await run(query, lambda seen: [recording("a", seen)])

    assert result.errors
    assert seen[-1] == f"a operation out {[error.message for error in result.errors]}"


async def test_an_async_hook_runs_through_strawberrys_runner() -> None:
    result, seen = await run(
        "{ shelf { items(first: 1) } }", lambda seen: [recording("a", seen), asynchronous(seen)]
    )

    assert result.data == {"shelf": {"items": [0]}}
    assert seen[:2] == ["a operation in", "async in"]
    assert seen[-2:] == ["async out", "a operation out []"]


class Reporting(SchemaExtension):
    def get_results(self) -> dict[str, object]:
        return {"cost": 3}


async def test_extensions_that_report_results_are_asked_for_them() -> None:
    ours = await SubgraphSchema(query=Query, extensions=[Reporting]).execute("{ broken }")
    theirs = await federation.Schema(query=Query, extensions=[Reporting]).execute("{ broken }")

    assert ours.extensions == theirs.extensions == {"cost": 3}
