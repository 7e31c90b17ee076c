"""Fetch groups form an acyclic graph (a dependency that would close a cycle is refused)
and become fetches that keep what they select."""

from __future__ import annotations

import pytest
from graphql import ArgumentNode, FieldNode, OperationDefinitionNode, parse, print_ast

from router.planning.groups import FetchGroup, OperationContext, PlanningCycle, to_fetch


def test_a_dependency_closing_a_cycle_is_refused() -> None:
    root, first, second = (FetchGroup(n, "A", "a") for n in range(3))
    first.depend_on(root)
    second.depend_on(first)

    with pytest.raises(PlanningCycle, match="fetch group 0 would wait for itself"):
        root.depend_on(second)

    assert root.depends_on == []
    assert second.ancestors() == {first, root}


def test_depending_twice_or_on_itself_adds_nothing() -> None:
    root, child = FetchGroup(0, "A", "a"), FetchGroup(1, "B", "b")
    child.depend_on(root)
    child.depend_on(root)
    child.depend_on(child)

    assert child.depends_on == [root]


def test_a_fetch_keeps_the_selection_it_sends_and_the_response_keys_it_fills() -> None:
    variables = parse("query Q($first: Int) { a }").definitions[0]
    assert isinstance(variables, OperationDefinitionNode)
    context = OperationContext(
        "query", "Q", {v.variable.name.value: v for v in variables.variable_definitions or ()}
    )
    group = FetchGroup(0, "REVIEWS", "reviews", path=("topProducts", "@"), is_entity=True)
    reviews = group.tree.fragment("Product").add_field("reviews", composite=True)
    assert reviews.children is not None
    reviews.children.add_field("body")
    group.tree.fragment("Product").add_field("__typename")
    group.tree.fragment("Book").add_field("pages", "count", arguments=_arguments("(first: $first)"))
    group.requires.fragment("Product").add_field("upc")

    fetch = to_fetch(group, 3, context)

    sent = parse(fetch.operation, no_location=True)
    assert print_ast(sent) == (
        "query Q__reviews__3($representations: [_Any!]!, $first: Int) {\n"
        "  _entities(representations: $representations) {\n"
        "    ... on Product {\n      reviews {\n        body\n      }\n      __typename\n    }\n"
        "    ... on Book {\n      count: pages(first: $first)\n    }\n"
        "  }\n}"
    )
    assert fetch.selection is not None
    assert print_ast(fetch.selection) == print_ast(
        sent.definitions[0].selection_set.selections[0].selection_set  # type: ignore[attr-defined]
    )
    assert fetch.response_keys == ("reviews", "count")
    assert fetch.variable_usages == ("first",)
    assert fetch.requires is not None
    assert print_ast(fetch.requires) == "{\n  ... on Product {\n    upc\n  }\n}"


def _arguments(text: str) -> tuple[ArgumentNode, ...]:
    field = parse(f"{{ f{text} }}").definitions[0]
    assert isinstance(field, OperationDefinitionNode)
    node = field.selection_set.selections[0]
    assert isinstance(node, FieldNode)
    return node.arguments or ()
