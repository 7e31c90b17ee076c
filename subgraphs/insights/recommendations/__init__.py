"""Recommendations: counts kept incrementally from events (`counting`), the consumer that
feeds them (`consumer`), and the reads behind the GraphQL fields (`reading`)."""
