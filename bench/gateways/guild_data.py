"""The data of The Guild's graphql-gateways-benchmark, as plain tables.

Six users, nine products (their inventory apart), eleven reviews. Two shapes
are the benchmark's own and make its answer large: every review's author is
user 1, and every user's `reviews` are reviews 1 and 2 (the benchmark's
reviews subgraph answers so for any user). The subgraphs serve these tables
through GraphQL; the oracle reads them directly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: str
    name: str
    username: str
    birthday: int


@dataclass(frozen=True)
class Product:
    upc: str
    name: str
    price: int
    weight: int


@dataclass(frozen=True)
class Review:
    id: str
    body: str
    product_upc: str
    author_id: str


USERS = (
    User("1", "Uri Goldshtein", "urigo", 1234567890),
    User("2", "Dotan Simha", "dotansimha", 1234567890),
    User("3", "Kamil Kisiela", "kamilkisiela", 1234567890),
    User("4", "Arda Tanrikulu", "ardatan", 1234567890),
    User("5", "Gil Gardosh", "gilgardosh", 1234567890),
    User("6", "Laurin Quast", "laurin", 1234567890),
)

PRODUCTS = (
    Product("1", "Table", 899, 100),
    Product("2", "Couch", 1299, 1000),
    Product("3", "Glass", 15, 20),
    Product("4", "Chair", 499, 100),
    Product("5", "TV", 1299, 1000),
    Product("6", "Lamp", 6999, 300),
    Product("7", "Grill", 3999, 2000),
    Product("8", "Fridge", 100000, 6000),
    Product("9", "Sofa", 9999, 800),
)

# upc -> inStock, the inventory subgraph's own field.
IN_STOCK = {
    "1": True,
    "2": False,
    "3": False,
    "4": False,
    "5": True,
    "6": True,
    "7": True,
    "8": False,
    "9": True,
}

_LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure "
    "dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. "
    "Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt "
    "mollit anim id est laborum."
)
_SED_UT = (
    "Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque "
    "laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi "
    "architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas "
    "sit aspernatur aut odit aut fugi"
)
_SED_QUIA = (
    "sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque "
    "porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, "
    "sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam "
    "quaerat voluptatem."
)
_UT_ENIM = (
    "Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit "
    "laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem"
)
_AT_VERO = (
    "At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium "
    "voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint "
    "occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt "
    "mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et "
    "expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque "
    "nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas "
    "assumenda est, omnis dolor repellendus. Temporibus autem quibusdam et aut officiis "
    "debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae sint et "
    "molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut "
    "reiciendis voluptatibus maiores alias consequatur aut perferendis doloribus asperiores "
    "repellat."
)

REVIEWS = (
    Review("1", _LOREM, "1", "1"),
    Review("2", _SED_UT, "1", "1"),
    Review("3", _SED_QUIA, "1", "1"),
    Review("4", _UT_ENIM, "1", "1"),
    Review("5", _LOREM, "2", "1"),
    Review("6", _SED_UT, "2", "1"),
    Review("7", _SED_QUIA, "2", "1"),
    Review("8", _UT_ENIM, "2", "1"),
    Review("9", _UT_ENIM, "3", "1"),
    Review("10", _UT_ENIM, "4", "1"),
    Review("11", _AT_VERO, "4", "1"),
)

# What `User.reviews` answers, for every user (the benchmark's shape, see above).
USER_REVIEW_IDS = ("1", "2")

TOP_PRODUCTS_DEFAULT = 5


def shipping_estimate(price: int | None, weight: int | None) -> int | None:
    """Free above 1000, else half the weight; unknown without a price or a weight.

    The benchmark's inventory subgraph defines it so but reads price and weight
    from its own empty table, so it always answers null there; here they come
    from the representation, as `@requires(fields: "price weight")` means.
    """
    if price is None:
        return None
    if price > 1000:
        return 0
    return None if weight is None else weight // 2
