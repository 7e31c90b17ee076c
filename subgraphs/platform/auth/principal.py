"""The authenticated caller of a request, as every subgraph sees it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.Enum):
    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    role: Role

    @property
    def is_staff(self) -> bool:
        return self.role is Role.STAFF

    def may_see(self, owner_id: str) -> bool:
        """Owners see their own things; staff see everyone's."""
        return self.is_staff or self.user_id == owner_id
