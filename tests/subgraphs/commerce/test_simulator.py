"""The simulated card network: one outcome per payment id, however many copies charge it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from subgraphs.commerce.payments.cards import Card
from subgraphs.commerce.payments.provider import ChargeOutcome, TransientPaymentError
from subgraphs.commerce.payments.simulator import (
    DECLINED,
    SUCCEEDS,
    TRANSIENT_TWICE,
    SimulatedProvider,
)
from subgraphs.platform.settings import Settings


@pytest.fixture
async def network(settings: Settings) -> AsyncIterator[SimulatedProvider]:
    provider = SimulatedProvider(settings)
    await provider.start()
    yield provider
    await provider.close()


async def _token(network: SimulatedProvider, number: str) -> str:
    return (await network.tokenize(Card(number, 12, 2040, "123"))).token


async def test_copies_charged_at_once_decide_once(network: SimulatedProvider) -> None:
    token = await _token(network, SUCCEEDS)
    outcomes = await asyncio.gather(
        *(network.charge("pay-1", token, Decimal("9.99"), "USD") for _ in range(8))
    )
    assert outcomes == [ChargeOutcome(succeeded=True)] * 8
    assert await network.charged("pay-1") == (1, "succeeded", False)


async def test_a_declined_card_stays_declined(network: SimulatedProvider) -> None:
    token = await _token(network, DECLINED)
    for _ in range(2):
        outcome = await network.charge("pay-2", token, Decimal("5.00"), "USD")
        assert outcome == ChargeOutcome(succeeded=False, failure_reason="card_declined")
    assert await network.charged("pay-2") == (1, "card_declined", False)


async def test_a_flaky_card_fails_twice_then_succeeds_once(network: SimulatedProvider) -> None:
    token = await _token(network, TRANSIENT_TWICE)
    for attempt in (1, 2):
        with pytest.raises(TransientPaymentError):
            await network.charge("pay-3", token, Decimal("5.00"), "USD")
        assert await network.charged("pay-3") == (attempt, None, False)
    for _ in range(2):
        outcome = await network.charge("pay-3", token, Decimal("5.00"), "USD")
        assert outcome == ChargeOutcome(succeeded=True)
    assert await network.charged("pay-3") == (3, "succeeded", False)
