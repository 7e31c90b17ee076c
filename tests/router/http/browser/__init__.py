"""A real browser for the router's HTTP tests, held to loopback."""
