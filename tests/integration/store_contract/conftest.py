"""The store of each contract test: the FakeStore, then the SQL Store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.app.repositories import Store
from tests.fakes.clocks import FakeClock
from tests.integration.store_contract.builders import KINDS, open_store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=KINDS)
def store(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Store]:
    """Each store in turn, as `[memory]`, `[sqlite]` and `[postgres]`."""
    yield from open_store(request.param, request, clock)
