"""The products every search test indexes, and what the answers should be, worked out by hand.

A dozen named products carry the stories (typos, prefixes, name over
description); 60 generated ones fill every price bucket, category and stock
state and all mention "gift", so one query pages through many equal scores.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from subgraphs.catalog.search.port import SearchDocument, SearchFilter

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CATEGORIES = {"cat-shoes": "Shoes", "cat-outdoor": "Outdoor", "cat-kitchen": "Kitchen"}


def _product(
    number: int,
    name: str,
    description: str,
    category_id: str | None,
    price: str,
    in_stock: bool = True,
    created_at: datetime | None = None,
) -> SearchDocument:
    return SearchDocument(
        id=f"p{number:03d}",
        name=name,
        description=description,
        category_id=category_id,
        category_name=None if category_id is None else CATEGORIES[category_id],
        price=Decimal(price),
        currency="USD",
        in_stock=in_stock,
        created_at=created_at or START + timedelta(hours=number),
    )


NAMED = [
    _product(1, "Running Shoes", "Light trainers for daily road miles.", "cat-shoes", "89.99"),
    _product(
        2,
        "Trail Running Shoes",
        "Grippy lugged soles and a rock plate for muddy mountain trails, steep descents"
        " and long days far away from the pavement.",
        "cat-shoes",
        "129.00",
    ),
    _product(3, "Sneakers", "Everyday canvas pair with a rubber sole.", "cat-shoes", "49.50"),
    _product(4, "Running Shorts", "Breathable, with a zip pocket.", "cat-shoes", "35.00", False),
    _product(5, "Waterproof Jacket", "Packable shell for windy ridges.", "cat-outdoor", "150.00"),
    _product(
        6, "Hiking Boots", "Leather uppers with a waterproof membrane.", "cat-outdoor", "175.00"
    ),
    _product(7, "Café Press", "Brews eight cups of coffee.", "cat-kitchen", "24.99"),
    _product(8, "Unfiled Lamp", "Nobody gave it a category.", None, "250.00"),
    # Only the field weights put the long-winded product with the word in its
    # name above the short one with the word in its description.
    _product(
        9,
        "Thermos Flask",
        "Double walled steel keeps drinks hot for twelve hours and cold for a full day,"
        " with a cup lid, a carry loop and a powder coat that survives knocks on the trail.",
        "cat-kitchen",
        "32.00",
    ),
    _product(10, "Picnic Set", "Includes a thermos.", "cat-kitchen", "60.00"),
    # "tote" is a whole word of one name and a prefix of a word in the other.
    _product(11, "Totem Lamp", "Carved wooden base.", None, "45.00"),
    _product(12, "Canvas Tote", "Sturdy cotton bag.", "cat-outdoor", "18.00"),
]
PRICES = ["9.99", "24.99", "25.00", "49.99", "50.00", "99.99", "100.00", "249.99", "250.00", "999"]
NOUNS = ["Mug", "Kettle", "Lantern", "Tent", "Sock", "Glove"]
FILLERS = [
    _product(
        100 + number,
        f"{NOUNS[number % len(NOUNS)]} Model {number}",
        "Makes a fine gift.",
        list(CATEGORIES)[number % len(CATEGORIES)],
        PRICES[number % len(PRICES)],
        in_stock=number % 4 != 0,
        # Pairs share a creation time, so the newest-first order needs its id tie-break.
        created_at=START + timedelta(days=30, hours=number // 2),
    )
    for number in range(60)
]
CORPUS = NAMED + FILLERS
BY_ID = {document.id: document for document in CORPUS}

PRICE_LABELS = {
    "*-25": "Under $25",
    "25-50": "$25 \N{EN DASH} $50",
    "50-100": "$50 \N{EN DASH} $100",
    "100-250": "$100 \N{EN DASH} $250",
    "250-*": "$250 and up",
}


def price_bucket(price: Decimal) -> str:
    for value, low, high in [
        ("*-25", None, 25),
        ("25-50", 25, 50),
        ("50-100", 50, 100),
        ("100-250", 100, 250),
        ("250-*", 250, None),
    ]:
        if (low is None or price >= low) and (high is None or price < high):
            return value
    raise AssertionError(price)


def newest_first(documents: list[SearchDocument]) -> list[str]:
    """Ids in the order of a blank query: newest first, ties by id."""
    by_id = sorted(documents, key=lambda document: document.id)
    return [d.id for d in sorted(by_id, key=lambda document: document.created_at, reverse=True)]


def passes(document: SearchDocument, search_filter: SearchFilter) -> bool:
    f = search_filter
    return (
        (f.category_id is None or document.category_id == f.category_id)
        and (f.min_price is None or document.price >= f.min_price)
        and (f.max_price is None or document.price <= f.max_price)
        and (f.in_stock is None or document.in_stock == f.in_stock)
    )


def facet_counts(ids: list[str]) -> dict[str, list[tuple[str, str, int]]]:
    """The facets of these documents as (value, label, count), in the documented order."""
    documents = [BY_ID[i] for i in ids]
    categories = Counter((d.category_id, d.category_name) for d in documents if d.category_id)
    prices = Counter(price_bucket(d.price) for d in documents)
    stock = Counter(d.in_stock for d in documents)
    return {
        "category": sorted(
            ((value, str(label), count) for (value, label), count in categories.items()),
            key=lambda item: (-item[2], item[1]),
        ),
        "price": [
            (value, label, prices[value]) for value, label in PRICE_LABELS.items() if prices[value]
        ],
        "inStock": [
            (value, label, stock[flag])
            for value, label, flag in [("true", "In stock", True), ("false", "Out of stock", False)]
            if stock[flag]
        ],
    }
