"""shopgraph's Apollo Federation v2 router: composition, planning, execution."""
