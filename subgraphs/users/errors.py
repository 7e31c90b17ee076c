"""The stable codes of the users subgraph's expected failures (`UserError.code`).

Every code the subgraph raises is a member, and every member is raised
somewhere (tests/subgraphs/test_error_codes.py); the schema lists them with
their meaning as the `UsersErrorCode` enum.
"""

from __future__ import annotations

import enum


class UsersErrorCode(enum.StrEnum):
    USERNAME_INVALID = "USERNAME_INVALID"
    """The username breaks the rules (3 to 32 letters, digits, '_', '.', '-')."""
    EMAIL_INVALID = "EMAIL_INVALID"
    """The email is not a well-formed address."""
    PASSWORD_INVALID = "PASSWORD_INVALID"  # noqa: S105 - an error code, not a secret
    """The password is too short or too long."""
    USERNAME_TAKEN = "USERNAME_TAKEN"
    """Another account has this username."""
    EMAIL_TAKEN = "EMAIL_TAKEN"
    """Another account has this email (see the README's security section)."""
    CONFLICT = "CONFLICT"
    """A racing registration won; try again."""
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    """The email or the password is wrong (never says which)."""
    RATE_LIMITED = "RATE_LIMITED"
    """Too many attempts from this account or address, or the server is busy."""
    INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"  # noqa: S105 - an error code, not a secret
    """The refresh token is unknown or expired."""
    REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"  # noqa: S105 - an error code, not a secret
    """The refresh token was spent already; its family is revoked."""
