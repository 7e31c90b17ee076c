"""Plans the planner makes for each Federation feature, printed and compared whole.

The supergraphs under `supergraphs/` were composed from small subgraph sets by
another composition tool, so these plans also show that the router runs
supergraphs it did not compose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse, validate

from router.planning.planner import plan_operation
from router.planning.printer import print_plan
from router.supergraph import Supergraph, load_supergraph

SUPERGRAPHS = Path(__file__).parent / "supergraphs"


def _supergraph(name: str) -> Supergraph:
    return load_supergraph((SUPERGRAPHS / f"{name}.graphql").read_text())


CASES = [
    pytest.param(
        "shop",
        "{ me { username } }",
        """\
QueryPlan {
  Fetch(service: "users") {
    {
      me {
        username
      }
    }
  },
}
""",
        id="one_subgraph",
    ),
    pytest.param(
        "shop",
        "{ me { id } topProducts { name } }",
        """\
QueryPlan {
  Parallel {
    Fetch(service: "users") {
      {
        me {
          id
        }
      }
    },
    Fetch(service: "products") {
      {
        topProducts {
          name
        }
      }
    },
  },
}
""",
        id="root_fields_in_parallel",
    ),
    pytest.param(
        "shop",
        "{ topProducts { name shippingEstimate reviews { body author { username email } } } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        topProducts {
          name
          __typename
          upc
          price
          weight
          sku
        }
      }
    },
    Parallel {
      Flatten(path: "topProducts.@") {
        Fetch(service: "inventory") {
          {
            ... on Product {
              __typename
              upc
              price
              weight
            }
          } =>
          {
            ... on Product {
              shippingEstimate
            }
          }
        },
      },
      Sequence {
        Flatten(path: "topProducts.@") {
          Fetch(service: "reviews") {
            {
              ... on Product {
                __typename
                sku
              }
            } =>
            {
              ... on Product {
                reviews {
                  body
                  author {
                    username
                    __typename
                    id
                  }
                }
              }
            }
          },
        },
        Flatten(path: "topProducts.@.reviews.@.author") {
          Fetch(service: "users") {
            {
              ... on User {
                __typename
                id
              }
            } =>
            {
              ... on User {
                email
              }
            }
          },
        },
      },
    },
  },
}
""",
        id="requires_provides_and_nested_jumps",
    ),
    pytest.param(
        "shop",
        "{ latestReviews { author { username } } }",
        """\
QueryPlan {
  Fetch(service: "reviews") {
    {
      latestReviews {
        author {
          username
        }
      }
    }
  },
}
""",
        id="provides_avoids_a_fetch",
    ),
    pytest.param(
        "shop",
        "{ latestReviews { author { email } } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        latestReviews {
          author {
            __typename
            id
          }
        }
      }
    },
    Flatten(path: "latestReviews.@.author") {
      Fetch(service: "users") {
        {
          ... on User {
            __typename
            id
          }
        } =>
        {
          ... on User {
            email
          }
        }
      },
    },
  },
}
""",
        id="provides_does_not_cover_other_fields",
    ),
    pytest.param(
        "shop",
        "{ latestReviews { product { name shippingEstimate } } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "reviews") {
      {
        latestReviews {
          product {
            __typename
            sku
          }
        }
      }
    },
    Flatten(path: "latestReviews.@.product") {
      Fetch(service: "products") {
        {
          ... on Product {
            __typename
            sku
          }
        } =>
        {
          ... on Product {
            name
            upc
            price
            weight
          }
        }
      },
    },
    Flatten(path: "latestReviews.@.product") {
      Fetch(service: "inventory") {
        {
          ... on Product {
            __typename
            upc
            price
            weight
          }
        } =>
        {
          ... on Product {
            shippingEstimate
          }
        }
      },
    },
  },
}
""",
        id="jump_through_second_key_then_requires",
    ),
    pytest.param(
        "shop",
        "query Me($x: Boolean!) { me { username reviews @include(if: $x) { body } } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "users") {
      {
        me {
          username
          __typename
          id
        }
      }
    },
    Include(if: $x) {
      Flatten(path: "me") {
        Fetch(service: "reviews") {
          {
            ... on User {
              __typename
              id
            }
          } =>
          {
            ... on User {
              reviews @include(if: $x) {
                body
              }
            }
          }
        },
      },
    },
  },
}
""",
        id="include_on_a_jump_becomes_a_condition",
    ),
    pytest.param(
        "shop",
        "{ me { username reviews @skip(if: true) { body } } }",
        """\
QueryPlan {
  Fetch(service: "users") {
    {
      me {
        username
      }
    }
  },
}
""",
        id="literal_skip_drops_the_jump",
    ),
    pytest.param(
        "shop",
        "query Top($n: Int) { top: topProducts(first: $n) { ...P } } fragment P on Product { title: name inStock }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "products") {
      {
        top: topProducts(first: $n) {
          title: name
          __typename
          upc
        }
      }
    },
    Flatten(path: "top.@") {
      Fetch(service: "inventory") {
        {
          ... on Product {
            __typename
            upc
          }
        } =>
        {
          ... on Product {
            inStock
          }
        }
      },
    },
  },
}
""",
        id="fragments_aliases_variables",
    ),
    pytest.param(
        "shop",
        "{ __typename __schema { queryType { name } } }",
        """\
QueryPlan {
}
""",
        id="only_router_answered_fields",
    ),
    pytest.param(
        "media",
        "{ media { title ... on Movie { minutes } } }",
        """\
QueryPlan {
  Fetch(service: "catalog") {
    {
      media {
        __typename
        title
        ... on Movie {
          minutes
        }
      }
    }
  },
}
""",
        id="abstract_kept_in_one_subgraph",
    ),
    pytest.param(
        "media",
        "{ media { __typename title ... on Book { rating pages } } search { ... on Media { title } ... on Book { rating } ... on Author { name } } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "catalog") {
      {
        media {
          __typename
          title
          ... on Book {
            __typename
            id
            pages
          }
        }
        search {
          __typename
          ... on Book {
            title
            __typename
            id
          }
          ... on Movie {
            title
          }
          ... on Author {
            name
          }
        }
      }
    },
    Parallel {
      Flatten(path: "media.@") {
        Fetch(service: "ratings") {
          {
            ... on Book {
              __typename
              id
            }
          } =>
          {
            ... on Book {
              rating
            }
          }
        },
      },
      Flatten(path: "search.@") {
        Fetch(service: "ratings") {
          {
            ... on Book {
              __typename
              id
            }
          } =>
          {
            ... on Book {
              rating
            }
          }
        },
      },
    },
  },
}
""",
        id="abstract_split_per_type_for_a_jump",
    ),
    pytest.param(
        "media",
        "{ topRated { title rating } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "ratings") {
      {
        topRated {
          __typename
          id
          rating
        }
      }
    },
    Flatten(path: "topRated.@") {
      Fetch(service: "catalog") {
        {
          ... on Book {
            __typename
            id
          }
        } =>
        {
          ... on Book {
            title
          }
        }
      },
    },
  },
}
""",
        id="entity_then_back",
    ),
    pytest.param(
        "nodes",
        "{ nodes { id createdBy ... on Account { login } } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "core") {
      {
        nodes {
          __typename
          ... on Account {
            id
            __typename
            login
          }
          ... on Team {
            id
            __typename
          }
        }
      }
    },
    Flatten(path: "nodes.@") {
      Fetch(service: "audit") {
        {
          ... on Account {
            __typename
            id
          }
          ... on Team {
            __typename
            id
          }
        } =>
        {
          ... on Node {
            createdBy
          }
        }
      },
    },
  },
}
""",
        id="interface_object_fields",
    ),
    pytest.param(
        "nodes",
        "{ recentlyChanged { id createdBy ... on Team { title } } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "audit") {
      {
        recentlyChanged {
          id
          createdBy
          __typename
        }
      }
    },
    Flatten(path: "recentlyChanged.@") {
      Fetch(service: "core") {
        {
          ... on Node {
            __typename
            id
          }
        } =>
        {
          ... on Node {
            __typename
            ... on Team {
              title
            }
          }
        }
      },
    },
  },
}
""",
        id="interface_object_to_real_types",
    ),
    pytest.param(
        "moved",
        '{ account(id: "1") { name plan balance } }',
        """\
QueryPlan {
  Sequence {
    Fetch(service: "old") {
      {
        account(id: "1") {
          name
          __typename
          id
        }
      }
    },
    Flatten(path: "account") {
      Fetch(service: "billing") {
        {
          ... on Account {
            __typename
            id
          }
        } =>
        {
          ... on Account {
            plan
            balance
          }
        }
      },
    },
  },
}
""",
        id="override_moves_the_field",
    ),
    pytest.param(
        "mutations",
        "mutation { first { value label } second { value label } third { value } }",
        """\
QueryPlan {
  Sequence {
    Fetch(service: "a") {
      {
        first {
          value
          __typename
          id
        }
      }
    },
    Flatten(path: "first") {
      Fetch(service: "b") {
        {
          ... on Counter {
            __typename
            id
          }
        } =>
        {
          ... on Counter {
            label
          }
        }
      },
    },
    Fetch(service: "b") {
      {
        second {
          __typename
          id
          label
        }
      }
    },
    Flatten(path: "second") {
      Fetch(service: "a") {
        {
          ... on Counter {
            __typename
            id
          }
        } =>
        {
          ... on Counter {
            value
          }
        }
      },
    },
    Fetch(service: "a") {
      {
        third {
          value
        }
      }
    },
  },
}
""",
        id="mutations_in_document_order",
    ),
]


@pytest.mark.parametrize(("supergraph", "query", "expected"), CASES)
def test_plan(supergraph: str, query: str, expected: str) -> None:
    schema = _supergraph(supergraph)
    document = parse(query)
    assert validate(schema.api_schema, document) == []
    assert print_plan(plan_operation(schema, document, None)) + "\n" == expected


@pytest.mark.parametrize(
    ("labels", "service"), [(frozenset(), "old"), (frozenset({"percent(20)"}), "billing")]
)
def test_progressive_override_follows_the_active_labels(
    labels: frozenset[str], service: str
) -> None:
    schema = _supergraph("labels")
    assert schema.override_labels == {"percent(20)"}
    plan = plan_operation(schema, parse('{ bill(id: "1") { amount } }'), None, labels)
    assert [fetch.service for fetch in plan.fetches()] == (
        ["old"] if service == "old" else ["old", "billing"]
    )
