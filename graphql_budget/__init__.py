"""What an operation costs before it runs: measures (depth, aliases, query nodes, root
fields of a mutation), the `@cost` / `@listSize` directives of a schema, and the cost
estimate they give.

Plain graphql-core, no transport: the router and every subgraph measure
operations with the same code. It imports neither `router`, `subgraphs` nor
`shopgraph`.
"""
