"""A schema check: a proposed set of subgraph SDLs against the published schemas.

It composes the proposal, classifies every change against the published
supergraph, finds the operations each breaking change affects, applies the
approvals and validates every trusted document against the proposed API
schema. A breaking change fails the check only when an operation uses it and
no approval covers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import GraphQLError, parse

from router.composition import CompositionError, SubgraphSource, compose
from router.supergraph import load_supergraph
from shopgraph.schema_registry.approvals import Approval, approval_for
from shopgraph.schema_registry.changes import Change
from shopgraph.schema_registry.compare import compare_supergraphs
from shopgraph.schema_registry.operations import (
    DocumentProblem,
    TrustedDocument,
    validate_documents,
)
from shopgraph.schema_registry.store import PublishedSchemas
from shopgraph.schema_registry.usage import OperationUse, Usage, UsageLog


@dataclass(frozen=True)
class SdlProblem:
    """A subgraph SDL that does not parse."""

    subgraph: str
    message: str
    line: int
    column: int


@dataclass(frozen=True)
class CheckedChange:
    change: Change
    operations: tuple[OperationUse, ...]
    approval: Approval | None

    @property
    def fails(self) -> bool:
        return self.change.breaking and bool(self.operations) and self.approval is None


@dataclass(frozen=True)
class CheckRequest:
    published: PublishedSchemas
    proposed: Mapping[str, str]  # every subgraph of the proposal: name -> SDL
    urls: Mapping[str, str]  # name -> URL written into the supergraph
    documents: tuple[TrustedDocument, ...] = ()
    approvals: tuple[Approval, ...] = ()
    usage_log: UsageLog | None = None
    usage_days: int = 30


@dataclass(frozen=True)
class CheckReport:
    proposed: Mapping[str, str]
    changed: tuple[str, ...]  # subgraphs whose SDL differs from the published one
    sdl_problems: tuple[SdlProblem, ...] = ()
    composition_errors: tuple[CompositionError, ...] = ()
    changes: tuple[CheckedChange, ...] = ()
    document_problems: tuple[DocumentProblem, ...] = ()
    approved_document_problems: tuple[DocumentProblem, ...] = ()
    supergraph: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not (
            self.sdl_problems
            or self.composition_errors
            or self.document_problems
            or any(c.fails for c in self.changes)
        )


def published_supergraph(published: PublishedSchemas, urls: Mapping[str, str]) -> str | None:
    if published.supergraph is not None:
        return published.supergraph
    if not published.subgraphs:
        return None
    sources = [SubgraphSource(n, urls[n], sdl) for n, sdl in published.subgraphs.items()]
    return compose(sources).supergraph_sdl


def run_check(request: CheckRequest) -> CheckReport:
    proposed = dict(request.proposed)
    changed = tuple(
        sorted(
            name
            for name in proposed.keys() | request.published.subgraphs.keys()
            if proposed.get(name) != request.published.subgraphs.get(name)
        )
    )
    problems = tuple(_sdl_problems(proposed))
    if problems:
        return CheckReport(proposed, changed, sdl_problems=problems)
    result = compose([SubgraphSource(n, request.urls[n], sdl) for n, sdl in proposed.items()])
    if result.supergraph_sdl is None:
        return CheckReport(proposed, changed, composition_errors=result.errors)
    new = result.supergraph_sdl
    old = published_supergraph(request.published, request.urls)
    notes: list[str] = []
    checked: list[CheckedChange] = []
    if old is None:
        notes.append("nothing is published yet: every type is new")
    else:
        usage = Usage(
            load_supergraph(old).api_schema,
            request.documents,
            request.usage_log,
            request.usage_days,
        )
        for change in compare_supergraphs(old, new):
            operations = tuple(usage.operations_using(change.usage)) if change.breaking else ()
            checked.append(
                CheckedChange(change, operations, approval_for(change, request.approvals))
            )
        if usage.unresolved:
            # A record from before the router sent field coordinates, whose document
            # is not a trusted one, cannot be matched against any change.
            names = ", ".join(f"{s.operation} ({s.client})" for s in usage.unresolved)
            notes.append(
                f"operations in the usage log without a trusted document, "
                f"so what they use is unknown: {names}"
            )
    if request.usage_log is None:
        notes.append("no usage log configured: trusted documents alone decide")
    # A document an approved breaking change breaks is broken on purpose: it is
    # reported, but it does not fail the check.
    approved = {
        (use.client, use.operation)
        for c in checked
        if c.approval is not None
        for use in c.operations
    }
    failing: list[DocumentProblem] = []
    accepted: list[DocumentProblem] = []
    for problem in validate_documents(load_supergraph(new).api_schema, [*request.documents]):
        key = (problem.document.client, problem.document.name)
        (accepted if key in approved else failing).append(problem)
    return CheckReport(
        proposed,
        changed,
        changes=tuple(checked),
        document_problems=tuple(failing),
        approved_document_problems=tuple(accepted),
        supergraph=new,
        notes=tuple(notes),
    )


def _sdl_problems(proposed: Mapping[str, str]) -> list[SdlProblem]:
    problems: list[SdlProblem] = []
    for name, sdl in sorted(proposed.items()):
        try:
            parse(sdl)
        except GraphQLError as error:
            line, column = (
                (error.locations[0].line, error.locations[0].column) if error.locations else (1, 1)
            )
            problems.append(SdlProblem(name, error.message, line, column))
    return problems
