"""The schema registry: subgraph SDLs and the supergraph kept in `schema/`, change
classification, schema checks against trusted documents and approvals, publishing."""
