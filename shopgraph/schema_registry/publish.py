"""Publishing: a checked proposal becomes the registry's subgraphs, supergraph and changelog.

Publishing what is already published does nothing (no composition, no
changelog entry), so CI may publish on every merge. A proposal that does not
compose is always refused; one that fails its check is refused unless forced.
Either way a refused publish leaves the registry as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from shopgraph.schema_registry.check import CheckedChange, CheckReport, CheckRequest, run_check
from shopgraph.schema_registry.store import SchemaRegistry


class PublishOutcome(StrEnum):
    PUBLISHED = "published"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class PublishResult:
    outcome: PublishOutcome
    report: CheckReport | None  # None when nothing changed (no check ran)


def publish(
    registry: SchemaRegistry,
    request: CheckRequest,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> PublishResult:
    published = request.published
    if dict(request.proposed) == published.subgraphs and published.supergraph is not None:
        return PublishResult(PublishOutcome.UNCHANGED, None)
    report = run_check(request)
    supergraph = report.supergraph
    if supergraph is None or (not report.passed and not force):
        return PublishResult(PublishOutcome.REFUSED, report)
    entry = changelog_entry(report, now or datetime.now(UTC), forced=not report.passed)
    registry.write(dict(request.proposed), supergraph, entry)
    return PublishResult(PublishOutcome.PUBLISHED, report)


def changelog_entry(report: CheckReport, when: datetime, *, forced: bool = False) -> str:
    subgraphs = ", ".join(report.changed) or "supergraph"
    lines = [f"## {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC: {subgraphs}", ""]
    if forced:
        lines.append("Published with --force although the check failed.")
        lines.append("")
    lines += [_line(c) for c in report.changes] or ["- no client-visible changes"]
    return "\n".join(lines) + "\n"


def _line(checked: CheckedChange) -> str:
    change = checked.change
    text = f"- {change.criticality} `{change.coordinate}` ({change.code}): {change.message}"
    if checked.approval is not None:
        text += f"; approved by {checked.approval.approved_by}: {checked.approval.reason}"
    return text
