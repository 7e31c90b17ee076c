"""A query plan: plain, immutable data that the executor runs and the printer shows.

Node kinds mirror Apollo's: `Fetch` asks one subgraph one operation;
`Flatten` runs a fetch for every object found at a path of the data so far
(an `_entities` fetch); `Sequence` runs nodes in order, `Parallel` together;
`Condition` runs one branch depending on a boolean variable (@skip/@include).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from graphql import SelectionSetNode

OperationKind: TypeAlias = Literal["query", "mutation", "subscription"]

# A step of a path into response data: a response key, "@" for "every item of
# this list", or a type condition "|T1,T2" keeping only objects of those types.
PathElement: TypeAlias = str
LIST = "@"


def type_condition(*type_names: str) -> PathElement:
    return "|" + ",".join(type_names)


@dataclass(frozen=True, slots=True)
class Rename:
    """A private alias the fetch used, read back into the client's response key.

    `path` leads from the fetch's data (for an entity fetch: from each entity)
    to the objects holding `alias`; it may end in a type condition.
    """

    path: tuple[PathElement, ...]
    alias: str
    key: str


@dataclass(frozen=True, slots=True)
class Fetch:
    service: str  # the subgraph's name, as in join__graph(name:)
    operation: str  # the document sent to the subgraph
    operation_kind: OperationKind = "query"
    variable_usages: tuple[str, ...] = ()  # client variables the operation uses
    # For entity fetches: what to take from each object at the flatten path to
    # make its representation (inline fragments by type, with __typename).
    requires: SelectionSetNode | None = None
    # For @interfaceObject: representations and results carry the interface's
    # name as __typename in this subgraph; the executor swaps it both ways.
    rename_typename_to: str | None = None
    # Response keys one subgraph could not take twice with two types (see Rename).
    renames: tuple[Rename, ...] = ()
    # What the operation selects (for entity fetches: inside `_entities`), as
    # the planner built it, and the response keys it fills there (`__typename`
    # aside). None: a fetch made by hand; both are then read from `operation`.
    selection: SelectionSetNode | None = None
    response_keys: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Flatten:
    path: tuple[PathElement, ...]
    node: Fetch


@dataclass(frozen=True, slots=True)
class Sequence:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Parallel:
    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    variable: str
    if_clause: PlanNode | None
    else_clause: PlanNode | None


PlanNode: TypeAlias = Fetch | Flatten | Sequence | Parallel | Condition


@dataclass(frozen=True, slots=True)
class QueryPlan:
    node: PlanNode | None  # None: nothing to fetch (e.g. only introspection or __typename)
    operation_kind: OperationKind = "query"

    def fetches(self) -> list[Fetch]:
        """Every fetch of the plan, in printing order."""
        found: list[Fetch] = []

        def walk(node: PlanNode | None) -> None:
            if node is None:
                return
            if isinstance(node, Fetch):
                found.append(node)
            elif isinstance(node, Flatten):
                walk(node.node)
            elif isinstance(node, (Sequence, Parallel)):
                for child in node.nodes:
                    walk(child)
            else:
                walk(node.if_clause)
                walk(node.else_clause)

        walk(self.node)
        return found
