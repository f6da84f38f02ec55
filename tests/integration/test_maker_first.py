"""ORDER_TYPE=maker-first end to end: the Rebalancer's execution through real ccxt against
the fake Kraken's order book, on the injected clock (each poll moves it; nothing sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from core.domain.maker_rules import OrderFlow
from core.domain.statuses import OrderStatus, RunOutcome
from tests.fakes.clocks import FakeTime
from tests.fakes.kraken_server import FakeKraken
from tests.integration.conftest import OWNER, Account

pytestmark = pytest.mark.both_engines  # the journal and recovery on SQLite, then PostgreSQL

D = Decimal
Script = Callable[[int], None]


class Polls:
    """The maker desk's waits: each moves the clock, and a poll runs the test's script."""

    def __init__(self, account: Account) -> None:
        self.account, self.count = account, 0
        self.script: Script = lambda _poll: None

    async def sleep(self, seconds: float) -> None:
        self.account.clock.advance(seconds=seconds)
        await self.account.time.sleep(seconds)  # the fake's rate counters decay meanwhile
        if seconds >= 1:
            self.count += 1
            self.script(self.count)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def kraken(fake_time: FakeTime) -> AsyncIterator[FakeKraken]:
    """The fake's default account, its rate counters timed by the test's clock."""
    async with FakeKraken(seed=11, clock=fake_time.clock) as server:
        yield server


@pytest.fixture
async def maker(live: Account, fake_time: FakeTime) -> AsyncIterator[tuple[Account, Polls]]:
    live.time = fake_time
    live.settings = replace(live.settings, order_type=OrderFlow.MAKER_FIRST)
    await live.restart()
    polls = Polls(live)
    live.app.sleep = polls.sleep
    yield live, polls


def sent(kraken: FakeKraken, endpoint: str) -> list[dict[str, str]]:
    return [r.params for r in kraken.requests if r.endpoint == endpoint]


def fill_all(kraken: FakeKraken) -> None:
    for order in kraken.orders:
        if order.status == "open":
            kraken.fill_order(order.txid)


async def test_every_order_rests_post_only_at_the_touch_and_fills_as_maker(
    maker: tuple[Account, Polls],
) -> None:
    account, polls = maker
    polls.script = lambda _poll: fill_all(account.fake)
    prepared = await account.app.prepare_rebalance(OWNER)
    report = await account.app.execute(prepared.plan_id, OWNER)

    assert report.outcome is RunOutcome.FULL
    assert all(o.maker_share == 1 for o in report.orders)
    added = sent(account.fake, "AddOrder")
    assert len(added) == len(prepared.plan.orders)
    assert all("post" in p.get("oflags", "") and p["ordertype"] == "limit" for p in added)
    for o in report.orders:  # the maker fee: 0.25 %, not 0.40 %
        assert o.fee == pytest.approx(o.cost * D("0.0025"), rel=D("1e-6"))
        assert o.taker_fee_equivalent == o.cost * D("0.004")
    stats = account.app.stats()
    assert stats.maker_share == 1
    assert stats.fee_saved == pytest.approx(report.traded_value * D("0.0015"), rel=D("1e-4"))


async def test_a_touch_that_runs_away_is_followed_by_an_amend(
    maker: tuple[Account, Polls],
) -> None:
    account, polls = maker
    prepared = await account.app.prepare_rebalance(OWNER)
    sell = prepared.plan.sells[0]
    start = account.fake.quote(sell.symbol)

    def script(poll: int) -> None:
        if poll == 1:  # others undercut the resting sell
            step = (start.ask - start.bid) / 2
            account.fake.set_price(sell.symbol, bid=start.bid - step, ask=start.ask - step)
        if poll == 7:  # 21 s: it was amended at 15 s
            fill_all(account.fake)

    polls.script = script
    report = await account.app.execute(prepared.plan_id, OWNER)
    amends = sent(account.fake, "AmendOrder")
    assert len(amends) == 1
    assert report.orders[0].status is OrderStatus.FILLED
    assert report.orders[0].maker_share == 1


async def test_a_post_only_reject_is_re_placed_at_the_new_touch(
    maker: tuple[Account, Polls],
) -> None:
    account, polls = maker
    prepared = await account.app.prepare_rebalance(OWNER)
    pair = account.fake.pair(prepared.plan.sells[0].symbol).id
    account.fake.fail_next("AddOrder", "EOrder:Post only order", when={"pair": pair})
    polls.script = lambda poll: poll >= 2 and fill_all(account.fake)
    report = await account.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL
    assert len(sent(account.fake, "AddOrder")) == len(prepared.plan.orders) + 1


async def test_a_partial_fill_then_the_fallback_sends_the_remainder_as_ioc(
    maker: tuple[Account, Polls],
) -> None:
    account, polls = maker
    prepared = await account.app.prepare_rebalance(OWNER)
    sell = prepared.plan.sells[0]

    def script(poll: int) -> None:
        if poll == 1:
            first = account.fake.orders[0]
            account.fake.fill_order(first.txid, volume=str(sell.amount / 2))

    polls.script = script
    report = await account.app.execute(prepared.plan_id, OWNER)
    line = report.orders[0]
    assert line.status is OrderStatus.FILLED
    assert line.maker_share == pytest.approx(D("0.5"), abs=D("1e-6"))
    assert sent(account.fake, "CancelOrder")
    ioc = [p for p in sent(account.fake, "AddOrder") if p.get("timeinforce") == "IOC"]
    assert ioc and D(ioc[0]["volume"]) == sell.amount - sell.amount / 2
    requests = [r.endpoint for r in account.fake.requests]
    assert requests.index("CancelOrder") < len(requests) - 1 - requests[::-1].index("AddOrder")


async def test_a_fallback_is_capped_by_max_slippage_pct(maker: tuple[Account, Polls]) -> None:
    account, _ = maker
    prepared = await account.app.prepare_rebalance(OWNER)
    sell = prepared.plan.sells[0]
    account.fake.set_liquidity("50", levels=10, gap_bps="20")  # a thin book below the bid
    report = await account.app.execute(prepared.plan_id, OWNER)
    [ioc] = [p for p in sent(account.fake, "AddOrder") if p.get("timeinforce") == "IOC"][:1]
    floor = sell.price * (1 - D("0.005"))
    assert D(ioc["price"]) >= floor
    line = report.orders[0]
    assert line.status in {OrderStatus.PARTIAL, OrderStatus.CANCELED}
    assert "reported, not chased" in line.reason


async def test_a_restart_with_a_resting_order_cancels_it_and_records_its_fills(
    maker: tuple[Account, Polls],
) -> None:
    account, _ = maker
    prepared = await account.app.prepare_rebalance(OWNER)
    stuck = asyncio.Event()

    async def hang(_seconds: float) -> None:
        account.fake.fill_order(
            account.fake.orders[0].txid, volume=str(prepared.plan.orders[0].amount / 4)
        )
        stuck.set()
        await asyncio.Event().wait()  # the process is killed while it waits

    account.app.sleep = hang
    task = asyncio.create_task(account.app.execute(prepared.plan_id, OWNER))
    await stuck.wait()
    resting = [o.txid for o in account.fake.orders if o.status == "open"]
    assert resting
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    account.clock.advance(minutes=10)
    await account.restart()
    outcomes = await account.app.reconcile()

    assert [o.status for o in outcomes if o.filled > 0] == [OrderStatus.PARTIAL]
    assert all(o.status != "open" for o in account.fake.orders)
    [run] = account.app.history(1)
    assert run.outcome is RunOutcome.PARTIAL
    fills = account.store.fills()
    assert len(fills) == 1 and fills[0].amount == prepared.plan.orders[0].amount / 4
    added = len(sent(account.fake, "AddOrder"))
    await account.app.reconcile()
    assert len(sent(account.fake, "AddOrder")) == added  # nothing duplicated


async def test_a_maker_first_run_never_exceeds_the_rate_counters(
    maker: tuple[Account, Polls],
) -> None:
    account, polls = maker
    account.fake.rate_limit_tier = "starter"
    account.fake.start_tape(seed=3, spread_bps="10", step_bps="5", flow_value="300")
    polls.script = lambda _poll: account.fake.advance(1) and None
    prepared = await account.app.prepare_rebalance(OWNER)
    report = await account.app.execute(prepared.plan_id, OWNER)
    assert account.fake.rate_limit_errors == 0
    assert report.outcome in {RunOutcome.FULL, RunOutcome.PARTIAL}
    # one Ticker per poll for the whole wave; besides: the plan, the price check, and per
    # wave (sells, buys) the first placement and the fallback
    assert account.fake.count("Ticker") <= polls.count + 2 + 2 * 2
