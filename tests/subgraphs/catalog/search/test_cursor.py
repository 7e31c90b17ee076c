"""Cursors: opaque, tied to their query, and refused when they are anything else."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal

import pytest

from subgraphs.catalog.search import cursor
from subgraphs.catalog.search.port import InvalidCursor, SearchFilter

GIFTS = cursor.fingerprint("database", ("gift",), SearchFilter())


def test_a_cursor_gives_back_the_key_and_id_it_was_made_with() -> None:
    made = cursor.encode(GIFTS, 0.25, "p001")
    assert re.fullmatch(r"[A-Za-z0-9_-]+", made)  # safe in a URL as it is
    assert cursor.decode(made, GIFTS, float) == (0.25, "p001")
    stamp = cursor.encode(GIFTS, "2026-03-01T09:00:00.000000+00:00", "p002")
    assert cursor.decode(stamp, GIFTS, str) == ("2026-03-01T09:00:00.000000+00:00", "p002")
    assert cursor.decode(cursor.encode(GIFTS, 3, "p003"), GIFTS, float) == (3.0, "p003")


def test_fingerprints_tell_queries_apart() -> None:
    fingerprints = {
        GIFTS,
        cursor.fingerprint("cluster", ("gift",), SearchFilter()),
        cursor.fingerprint("database", None, SearchFilter()),
        cursor.fingerprint("database", (), SearchFilter()),
        cursor.fingerprint("database", ("gift",), SearchFilter(in_stock=True)),
        cursor.fingerprint("database", ("gift",), SearchFilter(min_price=Decimal(1))),
        cursor.fingerprint("database", ("gift",), SearchFilter(max_price=Decimal(1))),
        cursor.fingerprint("database", ("gift",), SearchFilter(category_id="c")),
    }
    assert len(fingerprints) == 8


def _raw(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not base64 at all!",
        "%%%",
        _raw({"a": 1}),
        _raw([1, GIFTS, 0.5]),
        _raw([2, GIFTS, 0.5, "p001"]),
        _raw([1, "another-query", 0.5, "p001"]),
        _raw([1, GIFTS, "0.5", "p001"]),
        _raw([1, GIFTS, True, "p001"]),
        _raw([1, GIFTS, 0.5, 7]),
        base64.urlsafe_b64encode(f'[1,"{GIFTS}",NaN,"p001"]'.encode()).decode(),
        base64.urlsafe_b64encode(f'[1,"{GIFTS}",1e999,"p001"]'.encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _raw([1, GIFTS, 0.5, "p" * 2000]),
        "[" * 5000,
    ],
)
def test_anything_else_is_an_invalid_cursor(bad: str) -> None:
    with pytest.raises(InvalidCursor):
        cursor.decode(bad, GIFTS, float)


@pytest.mark.parametrize("first", [-1, cursor.MAX_PAGE_SIZE + 1])
def test_page_sizes_are_bounded(first: int) -> None:
    with pytest.raises(ValueError, match="first must be between"):
        cursor.page_size(first)
