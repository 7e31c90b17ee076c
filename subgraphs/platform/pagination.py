"""Relay-style pages shared by every subgraph: PageInfo, opaque cursors, list sizes.

List sizes are the `@listSize` the router's cost estimate reads: a connection
holds `first` edges, any other list field states the size it is assumed to have.
"""

from __future__ import annotations

import base64
import binascii

import orjson
import strawberry
from strawberry.federation.schema_directives import ListSize

from subgraphs.platform.errors import DomainError, PlatformErrorCode

# `first` has a default, so a client need not pass it.
CONNECTION_SIZE = ListSize(
    assumed_size=None,
    slicing_arguments=["first"],
    sized_fields=["edges"],
    require_one_slicing_argument=False,
)


# A plain list whose length is its `first` argument.
FIRST_SIZE = ListSize(
    assumed_size=None,
    slicing_arguments=["first"],
    sized_fields=None,
    require_one_slicing_argument=False,
)


def assumed_size(size: int) -> ListSize:
    """`@listSize(assumedSize:)` for a list field that is not paged."""
    return ListSize(
        assumed_size=size,
        slicing_arguments=None,
        sized_fields=None,
        require_one_slicing_argument=None,
    )


@strawberry.federation.type(shareable=True)
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def page_info(cursors: list[str], has_next: bool, after: str | None) -> PageInfo:
    """The PageInfo of a forward page whose items have `cursors`."""
    return PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


def encode_cursor(values: list[object]) -> str:
    """An opaque cursor holding the sort key of the last item seen."""
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[object]:
    """The values `encode_cursor` packed, or INVALID_CURSOR when it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, orjson.JSONDecodeError, ValueError, UnicodeEncodeError) as error:
        raise invalid_cursor() from error
    if not isinstance(values, list) or len(values) != size:
        raise invalid_cursor()
    return values


def invalid_cursor() -> DomainError:
    return DomainError(
        PlatformErrorCode.INVALID_CURSOR, "this cursor is not valid for this list", ["after"]
    )
