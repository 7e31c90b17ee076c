"""The five shopgraph subgraphs and the platform they share."""
