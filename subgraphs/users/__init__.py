"""The users subgraph: accounts, credentials, refresh tokens and the `User` entity."""
