"""Tests of the router's execution stage: plans run against fake subgraphs over HTTP."""
