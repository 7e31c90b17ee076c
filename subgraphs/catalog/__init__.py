"""The catalog subgraph: products, categories, stock reservations and search."""
