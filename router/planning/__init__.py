"""Query planning: a client operation over the supergraph becomes a plan of subgraph fetches."""
