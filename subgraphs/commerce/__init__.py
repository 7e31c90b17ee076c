"""The commerce subgraph: carts, orders, checkout and payments."""
