"""Social values and rules in plain Python: reviews, their sorts, and what input is allowed."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from subgraphs.platform.errors import DomainError

RATING_MIN = 1
RATING_MAX = 5
COMMENT_MAX = 5_000
REASON_MAX = 500


class ReviewErrorCode(enum.StrEnum):
    """Every code a social mutation or query can answer with."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INVALID_RATING = "INVALID_RATING"
    COMMENT_TOO_LONG = "COMMENT_TOO_LONG"
    COMMENT_INVALID_CHARACTERS = "COMMENT_INVALID_CHARACTERS"
    PRODUCT_NOT_FOUND = "PRODUCT_NOT_FOUND"
    ALREADY_REVIEWED = "ALREADY_REVIEWED"
    REVIEW_NOT_FOUND = "REVIEW_NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    OWN_REVIEW = "OWN_REVIEW"
    REASON_REQUIRED = "REASON_REQUIRED"
    REASON_TOO_LONG = "REASON_TOO_LONG"
    INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
    INVALID_CURSOR = "INVALID_CURSOR"


def refusal(code: ReviewErrorCode, message: str, field: list[str] | None = None) -> DomainError:
    return DomainError(code, message, field)


class ReviewStatus(enum.Enum):
    PUBLISHED = "PUBLISHED"
    HIDDEN = "HIDDEN"  # by staff moderation


class ReviewSort(enum.Enum):
    NEWEST = "NEWEST"
    HELPFUL = "HELPFUL"
    RATING_DESC = "RATING_DESC"
    RATING_ASC = "RATING_ASC"


class ModerationAction(enum.Enum):
    HIDDEN = "HIDDEN"
    RESTORED = "RESTORED"


@dataclass(frozen=True, slots=True)
class Review:
    id: str
    product_id: str
    author_id: str
    rating: int
    comment: str
    status: ReviewStatus
    helpful_count: int
    verified_purchase: bool
    created_at: datetime
    updated_at: datetime

    @property
    def published(self) -> bool:
        return self.status is ReviewStatus.PUBLISHED


@dataclass(frozen=True, slots=True)
class Ratings:
    """A product's PUBLISHED reviews in numbers, as kept beside the product."""

    review_count: int
    rating_sum: int
    # Reviews with 1, 2, 3, 4 and 5 stars, in that order.
    distribution: tuple[int, int, int, int, int]

    @property
    def average(self) -> float | None:
        if self.review_count == 0:
            return None
        return round(self.rating_sum / self.review_count, 2)


NO_RATINGS = Ratings(0, 0, (0, 0, 0, 0, 0))


@dataclass(frozen=True, slots=True)
class Moderation:
    action: ModerationAction
    actor_id: str
    reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewChanges:
    """Fields of an update; None leaves a field as it is."""

    rating: int | None = None
    comment: str | None = None


def check_rating(rating: int, field: list[str]) -> None:
    if not RATING_MIN <= rating <= RATING_MAX:
        raise refusal(
            ReviewErrorCode.INVALID_RATING,
            f"a rating is a whole number from {RATING_MIN} to {RATING_MAX}",
            field,
        )


def clean_comment(comment: str, field: list[str]) -> str:
    """The comment as stored: trimmed, with Windows newlines made plain ones."""
    cleaned = comment.replace("\r\n", "\n").strip()
    if len(cleaned) > COMMENT_MAX:
        raise refusal(
            ReviewErrorCode.COMMENT_TOO_LONG,
            f"a comment has at most {COMMENT_MAX} characters",
            field,
        )
    # Newlines are how people write paragraphs; every other control character
    # (tabs, escapes, NUL, a lone carriage return) only breaks what displays it.
    if any(ch != "\n" and unicodedata.category(ch) == "Cc" for ch in cleaned):
        raise refusal(
            ReviewErrorCode.COMMENT_INVALID_CHARACTERS,
            "a comment may not contain control characters other than newlines",
            field,
        )
    return cleaned


def clean_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise refusal(ReviewErrorCode.REASON_REQUIRED, "say why the review is hidden", ["reason"])
    if len(cleaned) > REASON_MAX:
        raise refusal(
            ReviewErrorCode.REASON_TOO_LONG,
            f"a reason has at most {REASON_MAX} characters",
            ["reason"],
        )
    return cleaned
