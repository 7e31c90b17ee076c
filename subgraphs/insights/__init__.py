"""The insights subgraph: recommendations and analytics."""
