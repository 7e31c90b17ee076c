"""Fetch groups form an acyclic graph: a dependency that would close a cycle is refused."""

from __future__ import annotations

import pytest

from router.planning.groups import FetchGroup, PlanningCycle


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
