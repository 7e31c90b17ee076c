"""The social subgraph: reviews and rating aggregates."""
