"""A started gateway keeps the process's long-lived objects out of the cyclic collector's way."""

from __future__ import annotations

import gc
import weakref

from router.config import RouterConfig
from router.gateway import Gateway
from router.supergraph import load_supergraph
from tests.router.execution.shop import SDL


async def test_startup_objects_are_frozen_until_close_and_a_closed_gateway_is_collected() -> None:
    gc.unfreeze()
    gateway = Gateway(load_supergraph(SDL), RouterConfig())
    await gateway.start()
    try:
        frozen = gc.get_freeze_count()
    finally:
        await gateway.close()
    after_close = gc.get_freeze_count()
    gone = weakref.ref(gateway)
    del gateway
    gc.collect()

    assert frozen > 1000  # modules, the supergraph and its schemas at least
    assert after_close == 0
    assert gone() is None
