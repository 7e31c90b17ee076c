"""The operations the router benchmarks send."""

# (a) one subgraph
SMALL = "{ topProducts { upc name price } }"
# (b) two entity jumps over three subgraphs
TWO_JUMPS = "{ topProducts { name reviews { body author { name } } } }"
# (c) five levels through users, reviews and products from two roots: entity
# jumps to every subgraph, @requires on inventory, a ~100 KB answer.
LARGE = """
query Large {
  users {
    ...Person
    reviews {
      ...Opinion
      product {
        ...Item
        reviews { ...Opinion author { ...Person reviews { ...Opinion product { ...Item } } } }
      }
    }
  }
  topProducts {
    ...Item
    reviews { ...Opinion author { ...Person reviews { ...Opinion product { ...Item } } } }
  }
}
fragment Person on User { id username name }
fragment Opinion on Review { id body }
fragment Item on Product { upc name price weight inStock shippingEstimate }
"""
