"""Router-side enforcement of `@authenticated`, `@requiresScopes` and `@policy`, before planning."""

from router.policies.caller import Caller, TokenVerifier, token_subject
from router.policies.requirements import AccessRules, Requirement, read_rules
from router.policies.stage import Authorization, Authorized

__all__ = [
    "AccessRules",
    "Authorization",
    "Authorized",
    "Caller",
    "Requirement",
    "TokenVerifier",
    "read_rules",
    "token_subject",
]
