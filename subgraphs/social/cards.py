"""A product's card: its ratings and the pages of reviews a query asks of it, read up front.

A product card is the hot path of the shop (every listing shows one per
product). Read field by field, each product's `averageRating`, `reviewCount`
and `reviews` were three awaited resolvers, three DataLoader loads and three
tasks; twenty products made sixty. Here the product is resolved once, async,
after looking at what the query selects on it: the ratings, and one page per
distinct `reviews(first, after, sort)` asked, all through the one batched
loader (one statement per batch, as before). The fields then read the card
synchronously, so the rest of the product's selection runs without tasks.

What a query asks is read once per selection (the same field at the same
response path selects the same things), not once per product.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql.pyutils import Path
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection

from subgraphs.platform.errors import DomainError
from subgraphs.social import listing
from subgraphs.social.domain import NO_RATINGS, Ratings, ReviewSort
from subgraphs.social.listing import PageRequest, ProductReviews, ReviewPage

PRODUCT = "Product"
# The `reviews` field's defaults: the schema's and the card's must agree.
DEFAULT_FIRST = 20
DEFAULT_SORT = ReviewSort.NEWEST
# The Product fields of this subgraph that read the card; `id` alone needs none.
_CARD_FIELDS = frozenset({"averageRating", "reviewCount", "ratingDistribution", "reviews"})

# A product and the page asked of it (None: only its ratings), as the loader batches them.
LoadCard = Callable[[list[tuple[str, PageRequest | None]]], Awaitable[list[ProductReviews]]]


@dataclass(frozen=True, slots=True)
class ProductCard:
    ratings: Ratings
    pages: Mapping[PageRequest, ReviewPage] = field(default_factory=dict)


EMPTY_CARD = ProductCard(NO_RATINGS)


@dataclass(frozen=True, slots=True)
class CardShape:
    """What one selection of a Product needs: any card at all, and which pages."""

    needed: bool
    pages: tuple[PageRequest, ...]


@dataclass
class CardShapes:
    """Per request: the shape of each selection of Product met so far, by response path."""

    found: dict[tuple[object, ...], CardShape] = field(default_factory=dict)

    def of(self, info: Info[Any, Any]) -> CardShape:
        key = _selection_key(info)
        shape = self.found.get(key)
        if shape is None:
            shape = self.found[key] = shape_of(info.selected_fields)
        return shape


def _selection_key(info: Info[Any, Any]) -> tuple[object, ...]:
    """The response path without list indices, with the type at each step: every
    item of one list field has the same selection."""
    parts: list[object] = []
    path: Path | None = info.path
    while path is not None:
        if not isinstance(path.key, int):
            parts.append((path.key, path.typename))
        path = path.prev
    return tuple(parts)


def shape_of(selections: Iterable[Selection]) -> CardShape:
    """The card needed by the fields selected under these (the field resolving to a Product)."""
    names: set[str] = set()
    pages: list[PageRequest] = []
    for selection in selections:
        if not isinstance(selection, (FragmentSpread, InlineFragment)):
            _collect(selection.selections, names, pages)
    return CardShape(bool(names & _CARD_FIELDS), tuple(dict.fromkeys(pages)))


def _collect(selections: Iterable[Selection], names: set[str], pages: list[PageRequest]) -> None:
    for selection in selections:
        if isinstance(selection, (FragmentSpread, InlineFragment)):
            # `_entities` selects Products, Users and Reviews by fragments: Products' only.
            if selection.type_condition in (None, PRODUCT):
                _collect(selection.selections, names, pages)
            continue
        names.add(selection.name)
        if selection.name == "reviews":
            request = _page_request(selection.arguments)
            if request is not None:
                pages.append(request)


def _page_request(arguments: Mapping[str, Any]) -> PageRequest | None:
    """The page these arguments ask for; None when they are wrong, which the field itself
    then reports where it stands in the response.

    Variables come coerced (an int, a ReviewSort), literals as their text ("3",
    "HELPFUL"): the document was validated, so the text is the type's.
    """
    first, after = arguments.get("first", DEFAULT_FIRST), arguments.get("after")
    sort = arguments.get("sort", DEFAULT_SORT)
    try:
        first = first if type(first) is int else int(first)
        sort = sort if isinstance(sort, ReviewSort) else ReviewSort(sort)
        if not (after is None or isinstance(after, str)):
            return None
        return listing.page_request(first, after, sort)
    except (DomainError, TypeError, ValueError):
        return None


async def load_card(load: LoadCard, product_id: str, shape: CardShape) -> ProductCard:
    """The card of one product; calls for many products in one tick share one batch."""
    (card,) = await load_cards(load, [product_id], shape)
    return card


async def load_cards(load: LoadCard, product_ids: list[str], shape: CardShape) -> list[ProductCard]:
    """The cards of these products, from one load."""
    if not shape.needed:
        return [EMPTY_CARD] * len(product_ids)
    if not shape.pages:
        loaded = await load([(product_id, None) for product_id in product_ids])
        return [ProductCard(found.ratings) for found in loaded]
    asked = len(shape.pages)
    loaded = await load([(p, request) for p in product_ids for request in shape.pages])
    cards = []
    for start in range(0, len(loaded), asked):
        pages = {}
        for request, reviews in zip(shape.pages, loaded[start : start + asked], strict=True):
            if reviews.page is None:
                raise RuntimeError("a product's page was asked for and not read")
            pages[request] = reviews.page
        cards.append(ProductCard(loaded[start].ratings, pages))
    return cards
