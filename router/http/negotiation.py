"""Content negotiation for /graphql: which response media type, and whether to serve HTML.

Per GraphQL over HTTP: the highest-priority listed type the server supports
wins; a missing Accept header, or only wildcards, means `application/json`
(what legacy clients expect); nothing acceptable means 406. Browsers, whose
Accept names `text/html` ahead of anything JSON, get GraphiQL instead.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
HTML = "text/html"


@dataclass(frozen=True, slots=True)
class _Range:
    type: str
    subtype: str
    q: float
    order: int


def _ranges(accept: str) -> list[_Range]:
    ranges = []
    for order, item in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        if "/" not in media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        type_, _, subtype = media.lower().partition("/")
        ranges.append(_Range(type_, subtype, q, order))
    return ranges


def _preference(ranges: list[_Range], offer: str) -> tuple[float, int, int]:
    """(q, specificity, earlier-first) of the most specific range matching `offer`."""
    type_, _, subtype = offer.partition("/")
    best: tuple[int, _Range] | None = None
    for media in ranges:
        if media.type == type_ and media.subtype == subtype:
            specificity = 2
        elif media.type == type_ and media.subtype == "*":
            specificity = 1
        elif media.type == "*" and media.subtype == "*":
            specificity = 0
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, media)
    if best is None or best[1].q <= 0:
        return (0.0, -1, 0)
    return (best[1].q, best[0], -best[1].order)


def response_media_type(accept: str | None) -> str | None:
    """The JSON media type to answer with, or None when the client accepts neither."""
    if not accept or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    modern = _preference(ranges, GRAPHQL_RESPONSE_JSON)
    legacy = _preference(ranges, JSON)
    if modern[0] <= 0 and legacy[0] <= 0:
        return None
    # Matched only through the same wildcard: the two tie, and JSON is the safe choice.
    return GRAPHQL_RESPONSE_JSON if modern > legacy else JSON


def prefers_html(accept: str | None) -> bool:
    if not accept:
        return False
    ranges = _ranges(accept)
    html = _preference(ranges, HTML)
    if html[1] < 2:  # only a browser names text/html itself
        return False
    return html[:2] > max(_preference(ranges, GRAPHQL_RESPONSE_JSON), _preference(ranges, JSON))[:2]
