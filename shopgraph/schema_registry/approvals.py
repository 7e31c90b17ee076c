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

from shopgraph.schema_registry.changes import Change


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
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ApprovalsInvalid(f"{path}: {error}") from error
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ApprovalsInvalid(f"{path}: expected a list of approvals")
    approvals: list[Approval] = []
    for index, item in enumerate(data, start=1):
        fields = ("coordinate", "reason", "approved_by")
        if not isinstance(item, dict) or not all(isinstance(item.get(f), str) for f in fields):
            raise ApprovalsInvalid(
                f"{path}: approval {index} needs the strings coordinate, reason and approved_by"
            )
        code = item.get("code")
        approvals.append(
            Approval(item["coordinate"], item["reason"], item["approved_by"], code and str(code))
        )
    return tuple(approvals)


def approval_for(change: Change, approvals: tuple[Approval, ...]) -> Approval | None:
    return next((a for a in approvals if a.covers(change)), None)
