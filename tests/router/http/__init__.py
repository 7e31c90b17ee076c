"""Tests of the router's HTTP stage: GraphQL over HTTP, GraphiQL, health probes."""
