"""Failures expected to pass on their own, and how every subgraph process logs a failure.

A peer that is restarting (catalog, PostgreSQL, Redis) or a broker that is
reconnecting makes calls fail for a while; that is operations, not a bug. Such
a failure is logged at WARNING as one line naming the request (or event) it
hit. Anything else is a bug and is logged at ERROR with its traceback.
"""

from __future__ import annotations

import logging

import aiohttp
import redis.exceptions
from aio_pika.exceptions import ChannelInvalidStateError
from sqlalchemy.exc import DBAPIError

_CHAIN_LIMIT = 8


class Unavailable(Exception):
    """A dependency did not answer; the same call may succeed once it is back."""


# ConnectionError covers refused and reset sockets and aio-pika's AMQPConnectionError.
_TRANSIENT: tuple[type[BaseException], ...] = (
    Unavailable,
    ConnectionError,
    TimeoutError,
    aiohttp.ClientConnectionError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ChannelInvalidStateError,
)


def is_transient(error: BaseException) -> bool:
    """True when `error`, or an error it was raised from, is an expected outage."""
    seen: BaseException | None = error
    for _ in range(_CHAIN_LIMIT):
        if seen is None:
            return False
        if isinstance(seen, _TRANSIENT):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True  # the database dropped the connection (a restart)
        seen = seen.__cause__ or seen.__context__
    return False


def one_line(error: BaseException) -> str:
    """`Type: message` on one line, for a log line that stays one line."""
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def log_failure(logger: logging.Logger, error: BaseException, what: str) -> None:
    """Logs that `what` failed (name the request or event in it): one WARNING line if
    `error` is transient, else ERROR with the traceback."""
    if is_transient(error):
        logger.warning("%s: %s", what, one_line(error))
    else:
        logger.error("%s", what, exc_info=(type(error), error, error.__traceback__))
