"""Approved breaking changes, from `approvals.yaml`: a coordinate, a reason and who approved.

    - coordinate: Product.legacyCode
      reason: no client reads it since storefront 2.3
      approved_by: maria

An approval may name a change `code` to approve only that change at the coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from shopgraph.schema_registry.changes import Change, ChangeCode


class ApprovalsInvalid(ValueError):
    """The approvals file cannot be read: a usage error."""


@dataclass(frozen=True)
class Approval:
    coordinate: str
    reason: str
    approved_by: str
    code: str | None = None

    def covers(self, change: Change) -> bool:
        return change.coordinate == self.coordinate and self.code in (None, change.code)


def load_approvals(path: Path) -> tuple[Approval, ...]:
    if not path.is_file():
        return ()
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
        # Each approval's line, so a mistake is pointed at.
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        raise ApprovalsInvalid(f"{path}: {error}") from error
    if data is None:
        return ()
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise ApprovalsInvalid(f"{path}: expected a list of approvals")
    approvals: list[Approval] = []
    for index, (item, node) in enumerate(zip(data, root.value, strict=True), start=1):
        where = f"{path}:{node.start_mark.line + 1}: approval {index}"
        fields = ("coordinate", "reason", "approved_by")
        if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in fields):
            raise ApprovalsInvalid(f"{where} needs the strings coordinate, reason and approved_by")
        code = item.get("code")
        if code is not None and code not in ChangeCode.__members__:
            # A misspelt code would approve nothing, silently.
            raise ApprovalsInvalid(f"{where}: unknown change code {code!r}")
        approvals.append(Approval(item["coordinate"], item["reason"], item["approved_by"], code))
    return tuple(approvals)


def approval_for(change: Change, approvals: tuple[Approval, ...]) -> Approval | None:
    return next((a for a in approvals if a.covers(change)), None)
