"""Preview through the facade against the Kraken-compatible server: what it asks and values."""

from __future__ import annotations

from decimal import Decimal

from core.domain.models import LineStatus
from tests.integration.conftest import Account


async def test_a_holding_outside_the_targets_is_valued_from_the_first_preview(
    live: Account,
) -> None:
    live.fake.set_balance("DOT", 100)
    live.fake.clear_requests()

    first = await live.app.preview()
    dot = first.line("DOT")
    assert dot is not None and dot.status is LineStatus.UNMANAGED
    assert dot.value > 0 and dot.price is not None
    assert (live.fake.count("BalanceEx"), live.fake.count("Ticker")) == (1, 2)

    live.fake.clear_requests()
    second = await live.app.preview()
    assert second.total_value == first.total_value
    assert (live.fake.count("BalanceEx"), live.fake.count("Ticker")) == (1, 1)


async def test_a_warm_preview_costs_one_balance_and_one_ticker_request(live: Account) -> None:
    await live.app.preview()
    live.fake.clear_requests()
    plan = await live.app.preview()
    assert plan.total_value > Decimal(0)
    assert live.fake.counts() == {"BalanceEx": 1, "Ticker": 1}
