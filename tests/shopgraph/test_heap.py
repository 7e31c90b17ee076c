"""Freezing what a process built at start, after collecting the garbage starting up left."""

import subprocess
import sys

PROBE = """
import gc, weakref
from shopgraph.heap import freeze_startup_objects

class Node:
    pass

kept = Node()
left = Node()
left.self = left  # a cycle nothing refers to: garbage only the collector frees
gone = weakref.ref(left)
del left
freeze_startup_objects()
after = Node()
print(gone() is None, gc.get_freeze_count() > 0, gc.is_tracked(after))
print(any(o is kept for o in gc.get_objects()), any(o is after for o in gc.get_objects()))
"""


def test_startup_objects_leave_the_collector_and_startup_garbage_is_freed_first() -> None:
    # A process of its own: freezing the test run's objects would outlive the test.
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    freed, frozen, tracked = out[:3]
    assert (freed, frozen, tracked) == ("True", "True", "True")
    # Frozen objects are out of what the collector walks; new ones are in it.
    assert out[3:] == ["False", "True"]


SERVED = """
import asyncio, gc
from starlette.applications import Starlette
from shopgraph.heap import frozen_after_startup

frozen_at_startup = []

async def lifespan(app):
    frozen_at_startup.append(gc.get_freeze_count())  # still starting: nothing frozen yet
    yield

async def main():
    app = frozen_after_startup(Starlette(lifespan=lifespan))
    messages = [{"type": "lifespan.startup"}]
    sent = []

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)

    async def send(message):
        sent.append((message["type"], gc.get_freeze_count() > 0))

    task = asyncio.create_task(app({"type": "lifespan", "state": {}}, receive, send))
    while not sent:
        await asyncio.sleep(0.01)
    task.cancel()
    print(frozen_at_startup == [0], sent == [("lifespan.startup.complete", True)])

asyncio.run(main())
"""


def test_a_served_app_freezes_once_its_lifespan_has_started() -> None:
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", SERVED], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert out == ["True", "True"]
