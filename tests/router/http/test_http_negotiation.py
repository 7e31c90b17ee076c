"""Accept header negotiation for /graphql."""

from __future__ import annotations

import pytest

from router.http.negotiation import prefers_html, response_media_type

MODERN = "application/graphql-response+json"
LEGACY = "application/json"


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, LEGACY),
        ("", LEGACY),
        ("*/*", LEGACY),
        ("application/*", LEGACY),
        (MODERN, MODERN),
        (LEGACY, LEGACY),
        (f"{MODERN}, {LEGACY};q=0.9", MODERN),
        (f"{LEGACY}, {MODERN}", LEGACY),  # equal q: the first listed
        (f"{LEGACY};q=0.5, {MODERN}", MODERN),
        (f"{MODERN};q=0, */*", LEGACY),
        (f"{MODERN}; charset=utf-8", MODERN),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", LEGACY),
        ("text/plain", None),
        (f"{LEGACY};q=0", None),
        ("garbage", None),
    ],
)
def test_the_response_media_type(accept: str | None, chosen: str | None) -> None:
    assert response_media_type(accept) == chosen


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("text/html", True),
        ("text/html, */*", True),
        ("text/html;q=0.5, application/json", False),
        ("application/json, text/html", False),
        ("*/*", False),
        (None, False),
    ],
)
def test_browsers_are_told_apart_from_api_clients(accept: str | None, html: bool) -> None:
    assert prefers_html(accept) is html
