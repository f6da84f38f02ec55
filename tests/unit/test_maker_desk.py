"""The maker-first desk on in-memory fakes of its ports: rest at the touch, follow it, re-place
after a post-only refusal, fall back once (capped), never two live orders, journal first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from core.app.maker_desk import MakerDesk
from core.app.maker_legs import LegState
from core.app.maker_ports import ChangeKind, ChangeStatus
from core.app.maker_recovery import cancel_resting_orders
from core.app.maker_work import Work
from core.app.settings import AppSettings
from core.domain.maker_rules import OrderFlow
from core.domain.models import (
    AssetLine,
    DataSource,
    LineStatus,
    MarketData,
    Plan,
    PlannedOrder,
    Quote,
    Side,
)
from core.domain.statuses import OrderStatus
from tests.fakes.clocks import FakeClock
from tests.fakes.maker import FakeMakerExchange, FakeMakerJournal
from tests.unit.builders import NOW, market, plan_settings

D = Decimal
BTC = market("BTC", maker_fee=D("0.0025"))
ETH = market("ETH", maker_fee=D("0.0025"))
TOUCH = Quote("BTC/EUR", D("40000.0"), D("40010.0"))
ETH_TOUCH = Quote("ETH/EUR", D("2500.00"), D("2501.00"))
SETTINGS = AppSettings(
    mode="paper", plan=plan_settings(), order_type=OrderFlow.MAKER_FIRST, maker_timeout_seconds=60
)
Script = Callable[[int], None]


def planned(side: Side, amount: str = "0.1", symbol: str = "BTC/EUR") -> PlannedOrder:
    price = TOUCH.ask if side is Side.BUY else TOUCH.bid
    if symbol == "ETH/EUR":
        price = ETH_TOUCH.ask if side is Side.BUY else ETH_TOUCH.bid
    cost = D(amount) * price
    return PlannedOrder(symbol[:3], symbol, side, D(amount), price, cost, cost * D("0.004"))


def line(asset: str, mid: Decimal) -> AssetLine:
    return AssetLine(asset, LineStatus.MANAGED, D(1), mid, mid, None, None, None, None, D(0))


def plan_of(*orders: PlannedOrder) -> Plan:
    return Plan(
        "EUR", NOW, DataSource("fake", NOW), D(0), D(0),
        (line("BTC", TOUCH.mid), line("ETH", ETH_TOUCH.mid)), tuple(orders), (), True, D(0),
        D(0), D(5),
    )  # fmt: skip


class Harness:
    def __init__(self, *orders: PlannedOrder, **settings: object) -> None:
        self.events = Events()
        self.clock = FakeClock(NOW)
        self.exchange = FakeMakerExchange(self.events, {"BTC/EUR": TOUCH, "ETH/EUR": ETH_TOUCH})
        self.journal = FakeMakerJournal(self.events)
        self.polls = 0
        self.script: Script = lambda _poll: None
        self.plan = plan_of(*orders)
        market_data = MarketData("EUR", {"BTC": BTC, "ETH": ETH}, {}, DataSource("fake", NOW))
        self.desk = MakerDesk(
            self.exchange, self.journal, self.clock, self.plan, "plan-1", market_data,
            replace(SETTINGS, **settings), sleep=self.sleep,
        )  # fmt: skip

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)
        if seconds >= 1:  # a poll, not a confirmation delay
            self.polls += 1
            self.script(self.polls)

    async def run(self, script: Script | None = None) -> list:  # type: ignore[type-arg]
        self.script = script or self.script
        return await self.desk.send_and_confirm(self.plan.orders)

    def only_order(self) -> str:
        assert len(self.exchange.orders) == 1
        return next(iter(self.exchange.orders))

    def move(self, quote: Quote) -> None:
        self.exchange.quotes[quote.symbol] = quote


async def test_a_post_only_buy_rests_at_the_bid_and_fills_as_maker() -> None:
    h = Harness(planned(Side.BUY))
    [outcome] = await h.run(lambda poll: poll == 1 and h.exchange.fill(h.only_order()))
    order = h.exchange.orders[h.only_order()]
    assert (order.limit_price, order.post_only) == (D("40000.0"), True)
    assert outcome.status is OrderStatus.FILLED
    assert (outcome.filled, outcome.maker_share) == (D("0.1"), D(1))
    assert outcome.fee == D("0.1") * D("40000.0") * D("0.0025")
    assert outcome.slippage_bps == D("-1.249843769528808898887639045")  # bought below the mid
    assert h.events[:3] == ["send touch", "journal post-only", "send place"]


async def test_a_sell_rests_at_the_ask() -> None:
    h = Harness(planned(Side.SELL))
    [outcome] = await h.run(lambda poll: poll == 1 and h.exchange.fill(h.only_order()))
    assert h.exchange.orders[h.only_order()].limit_price == D("40010.0")
    assert outcome.status is OrderStatus.FILLED


async def test_a_touch_that_runs_away_is_followed_by_an_amend_no_sooner_than_15_seconds() -> None:
    h = Harness(planned(Side.BUY))
    higher = Quote("BTC/EUR", D("40020.0"), D("40030.0"))

    def script(poll: int) -> None:
        if poll == 1:  # 3 s after placing: too soon to amend
            h.move(higher)
        if poll == 6:  # 18 s: amended at 15 s
            assert h.exchange.orders[h.only_order()].limit_price == D("40020.0")
            h.exchange.fill(h.only_order())

    [outcome] = await h.run(script)
    assert h.exchange.calls["amend"] == 1
    assert h.events.index("journal amend") < h.events.index("send amend")
    assert [c[1:3] for c in h.journal.changes] == [(ChangeKind.AMEND, ChangeStatus.DONE)]
    assert outcome.status is OrderStatus.FILLED and h.exchange.calls["place"] == 1


async def test_a_post_only_refusal_is_re_placed_at_the_new_touch() -> None:
    h = Harness(planned(Side.BUY))
    h.exchange.refuse_next_post_only = 1
    lower = Quote("BTC/EUR", D("39990.0"), D("40000.0"))

    def script(poll: int) -> None:
        if poll == 1:
            h.move(lower)
        if poll == 2:
            h.exchange.fill(h.only_order())

    [outcome] = await h.run(script)
    assert h.exchange.calls["place"] == 2
    assert h.exchange.orders[h.only_order()].limit_price == D("39990.0")
    assert outcome.status is OrderStatus.FILLED and outcome.maker_share == D(1)


async def test_an_order_cancelled_as_post_only_is_re_placed_at_the_new_touch() -> None:
    h = Harness(planned(Side.SELL))
    lower = Quote("BTC/EUR", D("39990.0"), D("40000.0"))

    def script(poll: int) -> None:
        first = next(iter(h.exchange.orders))
        if poll == 1:
            h.exchange.cancel_as_post_only(first)
            h.move(lower)
        if poll == 3:
            h.exchange.fill(list(h.exchange.orders)[-1])

    [outcome] = await h.run(script)
    assert h.exchange.calls["place"] == 2
    assert list(h.exchange.orders.values())[-1].limit_price == D("40000.0")
    assert outcome.status is OrderStatus.FILLED and outcome.maker_share == D(1)


async def test_a_partial_fill_then_the_timeout_cancels_then_sends_only_the_remainder_as_ioc() -> (
    None
):
    h = Harness(planned(Side.SELL))
    [outcome] = await h.run(lambda poll: poll == 1 and h.exchange.fill(h.only_order(), D("0.04")))
    resting, ioc = h.exchange.orders.values()
    assert (resting.state, resting.filled) == (OrderStatus.PARTIAL, D("0.04"))
    assert (ioc.amount, ioc.post_only, ioc.limit_price) == (D("0.06"), False, D("39800.0"))
    assert outcome.status is OrderStatus.FILLED
    assert outcome.maker_share == D("0.4")
    assert h.events[-5:] == [
        "journal cancel",
        "send cancel",
        "send touch",
        "journal ioc",
        "send place",  # the IOC answered filled: nothing more to read
    ]
    assert outcome.seconds is not None and outcome.seconds >= 60


async def test_the_fallback_is_capped_by_max_slippage_and_what_it_misses_is_reported() -> None:
    h = Harness(planned(Side.BUY))
    ran_up = Quote("BTC/EUR", D("40500.0"), D("40510.0"))  # 1.25 % above the plan's ask
    [outcome] = await h.run(lambda poll: poll == 1 and h.move(ran_up))
    ioc = list(h.exchange.orders.values())[-1]
    assert ioc.limit_price == D("40210.0")  # the plan's ask + 0.5 %: not the touch + 0.5 %
    assert outcome.status is OrderStatus.CANCELED
    assert "0.1 left unfilled at the fallback limit 40210: reported, not chased" in outcome.reason
    assert h.exchange.calls["place"] == 2  # the resting order and one IOC: nothing chased


async def test_a_remainder_below_the_pairs_minimum_is_left_and_reported() -> None:
    h = Harness(planned(Side.SELL))
    [outcome] = await h.run(
        lambda poll: poll == 1 and h.exchange.fill(h.only_order(), D("0.09998"))
    )
    assert outcome.status is OrderStatus.PARTIAL
    assert "0.00002 left: below the pair's minimum, not sent" in outcome.reason
    assert h.exchange.calls["place"] == 1


async def test_a_lost_placement_answer_is_looked_up_by_client_id_never_resent() -> None:
    h = Harness(planned(Side.BUY))
    h.exchange.lose_next.add("place")
    [outcome] = await h.run(lambda poll: poll == 2 and h.exchange.fill(h.only_order()))
    assert h.exchange.calls["place"] == 1 and h.exchange.calls["find"] >= 1
    assert outcome.status is OrderStatus.FILLED


async def test_a_lost_cancel_answer_is_read_back_and_the_fallback_waits_for_it() -> None:
    h = Harness(planned(Side.SELL))
    h.exchange.lose_next.add("cancel")
    [outcome] = await h.run()
    assert h.exchange.calls["cancel"] == 1  # read back as cancelled: not sent again
    assert not h.exchange.resting()
    assert h.events.index("send cancel") < h.events.index("journal ioc")
    assert outcome.status is OrderStatus.FILLED and outcome.maker_share == D(0)


async def test_a_wave_polls_with_one_touch_and_one_order_query_whatever_its_size() -> None:
    h = Harness(planned(Side.BUY), planned(Side.BUY, "1", "ETH/EUR"))

    def script(poll: int) -> None:
        if poll == 3:
            for oid in list(h.exchange.orders):
                h.exchange.fill(oid)

    outcomes = await h.run(script)
    assert [o.status for o in outcomes] == [OrderStatus.FILLED, OrderStatus.FILLED]
    assert h.exchange.calls == {"touch": 4, "place": 2, "fetch": 3}


async def test_there_are_never_two_live_orders_for_one_planned_order() -> None:
    h = Harness(planned(Side.BUY))
    seen: list[int] = []
    h.exchange.refuse_next_post_only = 3
    await h.run(lambda _poll: seen.append(len(h.exchange.resting())))
    assert max(seen) <= 1 and not h.exchange.resting()


async def test_an_order_without_a_known_market_is_reported_once_and_not_sent() -> None:
    h = Harness(replace(planned(Side.BUY), asset="SOL", symbol="SOL/EUR"))
    [outcome] = await h.run()
    assert (outcome.status, outcome.reason) == (
        OrderStatus.REJECTED,
        "not sent: its market is not known",
    )
    assert h.desk.outcomes() == [outcome] and "place" not in h.exchange.calls


async def test_a_halted_desk_sends_nothing() -> None:
    h = Harness(planned(Side.BUY))
    h.desk.halt("not sent: the EUR balance could not be read after the sells")
    [outcome] = await h.run()
    assert outcome.status is OrderStatus.REJECTED and not h.exchange.calls
    [entry] = h.journal.entries.values()  # journaled as rejected, with the reason
    assert (entry.status, entry.error) == (OrderStatus.REJECTED, outcome.reason)


class Crash(BaseException):
    """The process dies here."""


class Events(list[str]):
    """The shared event log; it kills the run right after `crash_after` happens."""

    crash_after = ""

    def append(self, event: str) -> None:
        super().append(event)
        if event == self.crash_after:
            raise Crash(event)


@pytest.mark.parametrize(
    ("crash_after", "closed"),
    [
        ("journal post-only", True),  # died writing the intent: it was never written, nor sent
        ("send place", False),  # sent, never arrived: reconciliation settles it as never placed
        ("journal cancel", True),  # resting: cancelled at restart
        ("send cancel", True),
        ("journal ioc", True),  # the resting leg was cancelled; the IOC was never written
    ],
)
async def test_a_crash_between_steps_leaves_nothing_resting_after_recovery(
    crash_after: str, closed: bool
) -> None:
    h = Harness(planned(Side.SELL))
    h.events.crash_after = crash_after
    with pytest.raises(Crash):
        await h.run()
    h.events.crash_after = ""
    places = h.exchange.calls.get("place", 0)
    h.clock.advance(minutes=5)
    await cancel_resting_orders(h.exchange, h.journal, h.clock, "paper")
    assert not h.exchange.resting()
    assert h.exchange.calls.get("place", 0) == places  # nothing is ever sent again
    [maker] = h.journal.makers.values()
    assert (maker.finished_at is not None) is closed


async def test_recovery_records_the_fills_of_a_resting_order_it_cancels() -> None:
    h = Harness(planned(Side.SELL))
    h.desk.settings = replace(SETTINGS, maker_timeout_seconds=10**6)
    h.exchange.lose_next.add("cancel")  # unused: the desk is stopped before its timeout
    task_events: list[str] = []

    def script(poll: int) -> None:
        if poll == 1:
            h.exchange.fill(h.only_order(), D("0.03"))
            task_events.append("filled")
            raise KeyboardInterrupt  # the process dies while the order rests

    with pytest.raises(KeyboardInterrupt):
        await h.run(script)
    h.exchange.lose_next.clear()
    await cancel_resting_orders(h.exchange, h.journal, h.clock, "paper")
    [entry] = h.journal.entries.values()
    assert (entry.status, entry.filled_amount) == (OrderStatus.PARTIAL, D("0.03"))
    assert [f.amount for f in h.journal.fills] == [D("0.03")]
    assert [c[1:3] for c in h.journal.changes] == [(ChangeKind.CANCEL, ChangeStatus.DONE)]


def test_a_buy_the_fallback_could_not_afford_in_full_says_so_not_unfilled() -> None:
    """The IOC goes out for what the plan's cash allows at its worst price; the rest was
    never offered, so it is reported as not bought for the budget, not as unfilled."""
    order = planned(Side.BUY, "0.1")
    work = Work(order, BTC, TOUCH.ask, "m-1", NOW)
    worst = TOUCH.ask * D("1.005")  # the touch + MAX_SLIPPAGE_PCT
    work.fallback_limit = worst
    sent = work.fallback_amount(worst)

    assert 0 < sent < order.amount
    ioc = LegState("c-ioc", "BTC/EUR", False, sent, worst, NOW, "TX1", OrderStatus.FILLED)
    work.legs.append(replace(ioc, filled=sent, cost=sent * TOUCH.ask))  # filled at the touch
    note = work.unfilled_note()
    assert note.startswith(f"{order.amount - sent} not bought: at the fallback limit")
    assert "more than the plan set aside" in note and "unfilled" not in note
