"""The benchmark's one query and its answer, computed from the tables without any GraphQL.

The query nests about five levels through reviews, products and authors
(users -> reviews -> product -> reviews -> author -> reviews -> product, and
topProducts -> reviews -> author -> reviews -> product). `expected_answer`
builds the same tree by walking `guild_data` by hand, so a gateway's answer is
checked against something no gateway, planner or GraphQL executor produced.
"""

from __future__ import annotations

from typing import Any

import guild_data as data

QUERY = """\
fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}
"""

Json = dict[str, Any]


def expected_answer() -> Json:
    """The whole response a correct gateway sends: `{"data": ...}` and no errors."""
    return {
        "data": {
            "users": [
                _user(user)
                | {
                    "reviews": [
                        _review(review) | {"product": _deep_product(review.product_upc)}
                        for review in _user_reviews()
                    ]
                }
                for user in data.USERS
            ],
            "topProducts": [
                _deep_product(product.upc) for product in data.PRODUCTS[: data.TOP_PRODUCTS_DEFAULT]
            ],
        }
    }


_USERS = {user.id: user for user in data.USERS}
_PRODUCTS = {product.upc: product for product in data.PRODUCTS}
_REVIEWS = {review.id: review for review in data.REVIEWS}


def _user_reviews() -> list[data.Review]:
    return [_REVIEWS[i] for i in data.USER_REVIEW_IDS]


def _user(user: data.User) -> Json:
    return {"id": user.id, "username": user.username, "name": user.name}


def _review(review: data.Review) -> Json:
    return {"id": review.id, "body": review.body}


def _product(upc: str) -> Json:
    product = _PRODUCTS[upc]
    return {
        "inStock": data.IN_STOCK[upc],
        "name": product.name,
        "price": product.price,
        "shippingEstimate": data.shipping_estimate(product.price, product.weight),
        "upc": product.upc,
        "weight": product.weight,
    }


def _deep_user(user_id: str) -> Json:
    """An author: User fields, and reviews with their product."""
    return _user(_USERS[user_id]) | {
        "reviews": [
            _review(review) | {"product": _product(review.product_upc)}
            for review in _user_reviews()
        ]
    }


def _deep_product(upc: str) -> Json:
    """Product fields, and reviews with their author."""
    return _product(upc) | {
        "reviews": [
            _review(review) | {"author": _deep_user(review.author_id)}
            for review in data.REVIEWS
            if review.product_upc == upc
        ]
    }


def first_difference(expected: Any, got: Any, path: str = "") -> str:
    """Where two JSON values first differ, for a readable failure."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected.keys() | got.keys():
            if key not in got:
                return f"{path}.{key} is missing"
            if key not in expected:
                return f"{path}.{key} is not expected (got {str(got[key])[:300]})"
            if expected[key] != got[key]:
                return first_difference(expected[key], got[key], f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return f"{path} has {len(got)} items, expected {len(expected)}"
        for index, (want, have) in enumerate(zip(expected, got, strict=True)):
            if want != have:
                return first_difference(want, have, f"{path}[{index}]")
    elif expected != got:
        return f"{path} is {str(got)[:300]}, expected {str(expected)[:300]}"
    return "no difference"
