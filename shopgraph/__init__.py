"""The shopgraph command line and the launchers that run subgraphs and workers."""
