"""What a valid account looks like. Plain functions; the database enforces uniqueness."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from subgraphs.platform.errors import DomainError
from subgraphs.users.errors import UsersErrorCode

USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 8, 1024


def account_key(text: str) -> str:
    """The case-insensitive form under which usernames and emails are unique."""
    return text.strip().casefold()


def registration_errors(username: str, email: str, password: str) -> list[DomainError]:
    errors = []
    if not USERNAME.fullmatch(username):
        errors.append(
            DomainError(
                UsersErrorCode.USERNAME_INVALID,
                "a username has 3 to 32 characters among letters, digits, '_', '.' and '-'",
                ["input", "username"],
            )
        )
    if len(email) > EMAIL_MAX or not is_email(email.strip()):
        errors.append(
            DomainError(
                UsersErrorCode.EMAIL_INVALID, "this is not an email address", ["input", "email"]
            )
        )
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        errors.append(
            DomainError(
                UsersErrorCode.PASSWORD_INVALID,
                f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters",
                ["input", "password"],
            )
        )
    return errors


def is_email(text: str) -> bool:
    """Whether `text` is a well-formed address (RFC 5321/5322 as mail servers accept them).

    Whether it really exists is for a confirmation mail to find out: no DNS
    lookup here, which would also fail offline.
    """
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
