"""The stable codes of the insights subgraph's expected failures."""

from __future__ import annotations

import enum


class InsightsErrorCode(enum.StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    SESSION_REQUIRED = "SESSION_REQUIRED"
    RATE_LIMITED = "RATE_LIMITED"
    OVERLOADED = "OVERLOADED"
