"""Expected outages are one WARNING line naming the event or request; bugs keep a traceback."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.exc import OperationalError

from subgraphs.platform.events import Delivery, Event
from subgraphs.platform.events.bus import InProcessBus
from subgraphs.platform.events.consuming import running_consumers
from subgraphs.platform.transient import Unavailable, is_transient

CONSUMING = "subgraphs.platform.events.consuming"


async def _handled_after_one_failure(
    failure: Exception, caplog: pytest.LogCaptureFixture
) -> tuple[Event, list[logging.LogRecord]]:
    """Runs a consumer whose first attempt at one event raises `failure`; the records it logged."""
    bus = InProcessBus(retry_delays=(0.01,))
    attempts: list[int] = []
    done = asyncio.Event()

    async def handle(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        if len(attempts) == 1:
            raise failure
        await delivery.ack()
        done.set()

    event = Event.new("thing.happened", "thing-1", {})
    with caplog.at_level(logging.WARNING, logger=CONSUMING):
        async with running_consumers(bus, "things", ("thing.happened",), handle):
            await bus.publish([event])
            await asyncio.wait_for(done.wait(), 10)
    assert attempts == [1, 2]
    return event, [record for record in caplog.records if record.name == CONSUMING]


async def test_an_outage_in_a_consumer_is_one_warning_line_with_the_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = Unavailable("the catalog is not reachable, try again")

    event, records = await _handled_after_one_failure(outage, caplog)

    assert [(r.levelno, r.getMessage(), r.exc_info) for r in records] == [
        (
            logging.WARNING,
            f"things failed on event {event.id} (thing.happened); it will be retried: "
            "Unavailable: the catalog is not reachable, try again",
            None,
        )
    ]


async def test_a_bug_in_a_consumer_is_an_error_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    event, records = await _handled_after_one_failure(KeyError("orderId"), caplog)

    [record] = records
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        f"things failed on event {event.id} (thing.happened); it will be retried"
    )
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], KeyError)


def _raised_from(cause: BaseException) -> RuntimeError:
    try:
        try:
            raise cause
        except BaseException as error:
            raise RuntimeError("wrapped") from error
    except RuntimeError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (ConnectionRefusedError(111, "Connection refused"), True),
        (TimeoutError(), True),
        (_raised_from(ConnectionResetError()), True),
        (OperationalError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (
            OperationalError("SELECT 1", {}, Exception("syntax"), connection_invalidated=False),
            False,
        ),
        (KeyError("orderId"), False),
        (_raised_from(ValueError("bad")), False),
    ],
)
def test_outages_are_told_from_bugs(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
