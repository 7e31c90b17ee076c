"""Printing a check report: for people (text), for programs (json), for GitHub (annotations).

GitHub annotations (`::error file=F,line=L,col=C::message`) point at the
line that holds the element (or its closest parent, for a removal) in the
file each subgraph's SDL is read from: the `--sdl` file, else the registry's
published file (where a breaking change's element still is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from shopgraph.schema_registry.check import CheckedChange, CheckReport
from shopgraph.schema_registry.locate import SdlPosition, locate


@dataclass(frozen=True)
class SdlFile:
    """A file annotations point at, with the SDL text it holds."""

    path: str
    text: str


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


def render(report: CheckReport, fmt: ReportFormat, files: Mapping[str, SdlFile]) -> str:
    if fmt is ReportFormat.JSON:
        return orjson.dumps(as_json(report), option=orjson.OPT_INDENT_2).decode()
    if fmt is ReportFormat.GITHUB:
        return "\n".join([*_annotations(report, files), _text(report, files)])
    return _text(report, files)


def _uses(checked: CheckedChange) -> list[dict[str, str]]:
    return [
        {"client": u.client, "operation": u.operation, "source": u.source}
        for u in checked.operations
    ]


def as_json(report: CheckReport) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "changedSubgraphs": list(report.changed),
        "sdlErrors": [
            {"subgraph": p.subgraph, "message": p.message, "line": p.line, "column": p.column}
            for p in report.sdl_problems
        ],
        "compositionErrors": [
            {
                "code": e.code,
                "message": e.message,
                "subgraphs": list(e.subgraphs),
                "coordinate": e.coordinate,
                "line": e.line,
                "column": e.column,
            }
            for e in report.composition_errors
        ],
        "changes": [
            {
                "criticality": c.change.criticality.value,
                "code": c.change.code.value,
                "coordinate": c.change.coordinate,
                "message": c.change.message,
                "affectedOperations": _uses(c),
                "approval": None
                if c.approval is None
                else {"approvedBy": c.approval.approved_by, "reason": c.approval.reason},
                "fails": c.fails,
            }
            for c in report.changes
        ],
        "documentErrors": [
            {
                "client": p.document.client,
                "file": str(p.document.path),
                "message": p.message,
                "line": p.line,
                "column": p.column,
            }
            for p in report.document_problems
        ],
        "approvedDocumentErrors": [
            {"client": p.document.client, "file": str(p.document.path), "message": p.message}
            for p in report.approved_document_problems
        ],
        "notes": list(report.notes),
    }


def _escape(text: str) -> str:
    # GitHub's workflow-command encoding of message data.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _annotation(level: str, file: str, line: int, column: int, message: str) -> str:
    return f"::{level} file={file},line={line},col={column}::{_escape(message)}"


def _annotations(report: CheckReport, files: Mapping[str, SdlFile]) -> list[str]:
    lines: list[str] = []
    texts = {**report.proposed, **{name: f.text for name, f in files.items()}}

    def path(subgraph: str) -> str:
        return files[subgraph].path if subgraph in files else subgraph

    for sdl in report.sdl_problems:
        lines.append(
            _annotation(
                "error",
                _proposed_file(report, files, sdl.subgraph),
                sdl.line,
                sdl.column,
                sdl.message,
            )
        )
    for error in report.composition_errors:
        where = (
            SdlPosition(error.subgraphs[0], error.line, error.column or 1)
            if error.line is not None and error.subgraphs
            else locate(error.coordinate, texts, error.subgraphs)
        )
        subgraph = where.subgraph if where else (error.subgraphs[0] if error.subgraphs else "")
        lines.append(
            _annotation(
                "error",
                _proposed_file(report, files, subgraph) if error.line else path(subgraph),
                where.line if where else 1,
                where.column if where else 1,
                f"{error.code}: {error.message}",
            )
        )
    for checked in report.changes:
        if not (checked.fails or checked.change.breaking):
            continue
        where = locate(checked.change.coordinate, texts, report.changed)
        subgraph = where.subgraph if where else (report.changed[0] if report.changed else "")
        level = "error" if checked.fails else "warning"
        lines.append(
            _annotation(
                level,
                path(subgraph),
                where.line if where else 1,
                where.column if where else 1,
                _describe(checked),
            )
        )
    for problem in report.document_problems:
        lines.append(
            _annotation(
                "error",
                str(problem.document.path),
                problem.line,
                problem.column,
                f"trusted document: {problem.message}",
            )
        )
    return lines


def _describe(checked: CheckedChange) -> str:
    change = checked.change
    text = f"{change.criticality} {change.code} at {change.coordinate}: {change.message}"
    if checked.operations:
        used = ", ".join(f"{u.operation} ({u.client}, {u.source})" for u in checked.operations)
        text += f"; used by {used}"
    elif change.breaking:
        text += "; no known operation uses it"
    if checked.approval is not None:
        text += f"; approved by {checked.approval.approved_by}: {checked.approval.reason}"
    return text


def _proposed_file(report: CheckReport, files: Mapping[str, SdlFile], subgraph: str) -> str:
    """The file holding the proposed SDL (the `--sdl` file), else the subgraph's name:
    positions in the code's SDL are not positions in the published file."""
    file = files.get(subgraph)
    if file is not None and file.text == report.proposed.get(subgraph):
        return file.path
    return subgraph


def _quoted(text: str, line: int, column: int) -> list[str]:
    """The SDL line at fault, with a caret under the column, as compilers show it."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return []
    return [f"  {lines[line - 1]}", f"  {' ' * (column - 1)}^"]


def _text(report: CheckReport, files: Mapping[str, SdlFile]) -> str:
    out: list[str] = []
    if report.changed:
        out.append(f"changed subgraphs: {', '.join(report.changed)}")
    for sdl in report.sdl_problems:
        file = _proposed_file(report, files, sdl.subgraph)
        out.append(f"SDL error in {sdl.subgraph} ({file}:{sdl.line}:{sdl.column}): {sdl.message}")
        out.extend(_quoted(report.proposed[sdl.subgraph], sdl.line, sdl.column))
    for e in report.composition_errors:
        where = f" at {e.coordinate}" if e.coordinate else ""
        out.append(f"composition error {e.code}{where} [{', '.join(e.subgraphs)}]: {e.message}")
        if e.line is not None and e.subgraphs and e.subgraphs[0] in report.proposed:
            subgraph = e.subgraphs[0]
            out[-1] += f" ({_proposed_file(report, files, subgraph)}:{e.line}:{e.column})"
            out.extend(_quoted(report.proposed[subgraph], e.line, e.column or 1))
    for checked in report.changes:
        mark = "FAIL " if checked.fails else ""
        out.append(f"{mark}{_describe(checked)}")
    for p in report.document_problems:
        out.append(f"trusted document {p.document.path}:{p.line}:{p.column}: {p.message}")
    for p in report.approved_document_problems:
        out.append(f"approved break of {p.document.path}:{p.line}:{p.column}: {p.message}")
    out.extend(f"note: {note}" for note in report.notes)
    if not report.changes and report.supergraph is not None:
        out.append("no changes")
    out.append("check passed" if report.passed else "check FAILED")
    return "\n".join(out)
