"""What browsers may do across origins: CORS for the origins configured, and CSRF prevention.

CORS tells a browser which other sites' pages may read the router's answers
(the configured origins; dev adds any localhost port). It cannot stop a
browser from *sending* a "simple" request (GET, or POST with a form or
text/plain body) with the user's cookies: no preflight asks first. CSRF
prevention, as Apollo Router does it, refuses those: a GraphQL request must
carry a content type other than the three simple ones, or one of the headers
a page can set only after a preflight (`apollo-require-preflight`,
`x-apollo-operation-name`, or those configured).
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from router.config import RouterConfig
from router.http.params import HttpProblem

# The content types a browser sends cross-origin without asking first (Fetch standard).
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
CORS_METHODS = ("GET", "POST", "OPTIONS")


def cors_middleware(config: RouterConfig) -> Middleware | None:
    """The CORS layer for the configured origins; None when no origin may read answers."""
    if not config.cors_origins and not config.cors_allow_localhost:
        return None
    return Middleware(
        CORSMiddleware,
        allow_origins=list(config.cors_origins),
        allow_origin_regex=LOCALHOST_ORIGINS if config.cors_allow_localhost else None,
        allow_methods=CORS_METHODS,
        # The preflight answers for the headers asked about: clients add their own
        # (tracing, Apollo's client name) and CSRF prevention relies on custom ones.
        allow_headers=["*"],
        allow_credentials=config.cors_allow_credentials,
        max_age=config.cors_max_age_seconds,
    )


def csrf_problem(headers: Mapping[str, str], config: RouterConfig) -> HttpProblem | None:
    """Why a request a browser could send without a preflight is refused; None if it is not."""
    if not config.csrf_prevention:
        return None
    content_type = headers.get("content-type")
    if content_type is not None:
        essence = content_type.split(";", 1)[0].strip().lower()
        if essence and essence not in SIMPLE_CONTENT_TYPES:
            return None
    if any(headers.get(name) for name in config.csrf_required_headers):
        return None
    names = ", ".join(config.csrf_required_headers)
    return HttpProblem(
        400,
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
        f"Send a Content-Type other than {', '.join(sorted(SIMPLE_CONTENT_TYPES))}, "
        f"or one of these headers: {names}.",
        "CSRF_PREVENTION",
    )
