"""Every corpus case runs on a supergraph from each composer: ours and The Guild's."""

from __future__ import annotations

import pytest

from tests.router.harness import COMPOSERS, Composer


@pytest.fixture(params=COMPOSERS)
def composer(request: pytest.FixtureRequest) -> Composer:
    selected: Composer = request.param
    return selected
