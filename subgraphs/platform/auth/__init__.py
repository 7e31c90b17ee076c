"""Who is calling: access tokens, signing keys, password hashing and the request principal."""

from subgraphs.platform.auth.principal import Principal, Role

__all__ = ["Principal", "Role"]
