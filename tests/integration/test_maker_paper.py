"""Paper mode with ORDER_TYPE=maker-first: resting paper orders fill when the (fake Kraken's
public) prices trade through them; on the bundled snapshot the fills are assumed at the
limit, and the report says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from core.domain.maker_rules import OrderFlow
from core.domain.statuses import OrderStatus, RunOutcome
from tests.fakes.clocks import FakeClock
from tests.fakes.kraken_server import FakeKraken
from tests.integration.conftest import OWNER, Account

pytestmark = pytest.mark.both_engines  # the journal and recovery on SQLite, then PostgreSQL


async def _maker_account(account: Account) -> Account:
    account.settings = replace(account.settings, order_type=OrderFlow.MAKER_FIRST)
    await account.restart()
    return account


@pytest.fixture
async def priced(db_url: str, clock: FakeClock, kraken: FakeKraken) -> AsyncIterator[Account]:
    account = Account("paper-priced", db_url, clock, kraken)
    account.open()
    try:
        yield await _maker_account(account)
    finally:
        await account.close()


async def test_on_the_snapshot_maker_fills_are_assumed_at_the_limit_and_said_so(
    paper: Account,
) -> None:
    await _maker_account(paper)
    prepared = await paper.app.prepare_rebalance(OWNER)
    report = await paper.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL
    assert all(o.maker_share == 1 for o in report.orders)
    assert all("maker fill assumed at the limit" in o.reason for o in report.orders)


async def test_a_resting_paper_order_fills_when_live_prices_trade_through_it(
    priced: Account,
) -> None:
    prepared = await priced.app.prepare_rebalance(OWNER)
    sell = prepared.plan.sells[0]

    async def sleep(seconds: float) -> None:
        priced.clock.advance(seconds=seconds)
        quote = priced.fake.quote(sell.symbol)
        step = (quote.ask - quote.bid) * 2
        priced.fake.set_price(sell.symbol, bid=quote.bid + step, ask=quote.ask + step)

    priced.app.sleep = sleep
    report = await priced.app.execute(prepared.plan_id, OWNER)
    first = report.orders[0]
    assert (first.symbol, first.status, first.maker_share) == (sell.symbol, OrderStatus.FILLED, 1)
    assert first.average_price is not None and first.average_price >= sell.price
