"""The positions use cases on in-memory fakes: ledger from fills, syncs, basis, samples, exports."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from core.app.positions import PositionTracker
from core.app.records import FillRecord, PlanRecord
from core.domain.codec import plan_to_dict
from core.domain.lots import AdjustmentKind
from core.domain.models import Plan, Side
from core.domain.statuses import OrderStatus, RunOutcome
from core.errors import InputError
from tests.fakes.clocks import FakeClock
from tests.fakes.readings import FakeReadings, FakeTradable
from tests.fakes.store import FakeStore
from tests.unit.builders import NOW
from tests.unit.lot_builders import day


def fill(  # noqa: PLR0917 (read as a fill line: side, amount, price, fee, time, id)
    side: str, amount: str, price: str, fee: str, at: datetime, order_id: str, **changes: object
) -> FillRecord:
    values: dict[str, object] = {
        "exchange_order_id": order_id,
        "client_order_id": f"c-{order_id}",
        "symbol": "ETH/EUR",
        "side": Side(side),
        "amount": Decimal(amount),
        "price": Decimal(price),
        "cost": Decimal(amount) * Decimal(price),
        "fee": Decimal(fee),
        "fee_currency": "EUR",
        "filled_at": at,
        "mode": "paper",
        "run_id": 1,
        "trigger": "manual",
    }
    return FillRecord(**(values | changes))  # type: ignore[arg-type]


ISSUE_FILLS = (
    fill("buy", "1", "2000", "8", day(0), "B1"),
    fill("buy", "1", "3000", "12", day(1), "B2"),
    fill("sell", "1.5", "4000", "24", day(2), "S1"),
)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock(NOW)
        self.store = FakeStore(self.clock)
        self.readings = FakeReadings(self.clock)
        self.tracker = PositionTracker(
            self.store,
            self.readings,
            FakeTradable(frozenset({"BTC", "ETH", "SOL"})),  # type: ignore[arg-type]
            mode="paper",
            quote="EUR",
            clock=self.clock,
        )

    def filled(self, *fills: FillRecord) -> None:
        for each in fills:
            self.store.record_fill(each)

    def order_out(self, status: OrderStatus, *, finished: bool = False) -> None:
        """A run of this mode with one sell journaled, left at `status`."""
        store, now = self.store, self.clock()
        store.add_plan(stored(self.readings.plan()))
        run_id = store.start_run("first", "1", Decimal(1), now, mode="paper")
        store.journal_intent(
            "first", run_id, "c", "BTC/EUR", Side.SELL, Decimal(1), now, mode="paper"
        )
        store.journal_update("c", status=status, now=now)
        if finished:
            store.finish_run(
                run_id, outcome=RunOutcome.FULL, drift_after=None, traded_value=Decimal(0),
                fees=Decimal(0), duration_s=1.0, orders_ok=1, orders_failed=0,
                orders_skipped=0, note="", now=now,
            )  # fmt: skip


@pytest.fixture
def world() -> World:
    return World()


async def test_the_issue_fills_give_fifo_realized_2462_and_an_open_lot_costing_1506(
    world: World,
) -> None:
    world.filled(*ISSUE_FILLS)
    world.readings.hold({"ETH": "0.5", "EUR": "100"}, {"ETH": "4000"})

    report = await world.tracker.report()

    (eth,) = report.positions
    assert (eth.amount, eth.cost, eth.realized) == (Decimal("0.5"), Decimal(1506), Decimal(2462))
    assert eth.first_entry == day(1)
    assert (eth.price, eth.value, eth.unrealized) == (Decimal(4000), Decimal(2000), Decimal(494))
    assert not eth.estimated
    assert report.synced and report.adjustments == ()  # the lots equal the balance
    assert report.totals.realized == Decimal(2462)
    assert report.cash == Decimal(100)


async def test_holdings_that_predate_the_bot_get_one_estimated_opening_lot_dated_then(
    world: World,
) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})

    report = await world.tracker.report()

    (btc,) = report.positions
    assert (btc.amount, btc.cost, btc.first_entry) == (Decimal("0.5"), Decimal(20000), NOW)
    assert btc.estimated and report.totals.estimated
    (opening,) = report.adjustments
    assert (opening.kind, opening.price) == (AdjustmentKind.OPENING, Decimal(40000))


async def test_a_second_report_adds_no_second_opening(world: World) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})
    await world.tracker.report()
    world.clock.advance(hours=2)

    report = await world.tracker.report()

    assert len(report.adjustments) == 1


async def test_a_deposit_outside_the_bot_is_flagged_never_absorbed(world: World) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})
    await world.tracker.report()
    world.clock.advance(days=1)
    world.readings.hold({"BTC": "0.75"}, {"BTC": "42000"})

    report = await world.tracker.report()

    (deposit,) = report.outside_changes
    assert (deposit.kind, deposit.amount, deposit.time) == (
        AdjustmentKind.DEPOSIT,
        Decimal("0.25"),
        NOW + timedelta(days=1),
    )
    assert report.positions[0].amount == Decimal("0.75")


async def test_a_withdrawal_takes_the_oldest_lots_and_realizes_nothing(world: World) -> None:
    world.filled(*ISSUE_FILLS[:2])
    world.readings.hold({"ETH": "2"}, {"ETH": "4000"})
    await world.tracker.report()
    world.readings.hold({"ETH": "1.5"}, {"ETH": "4000"})

    report = await world.tracker.report()

    (eth,) = report.positions
    assert (eth.amount, eth.cost, eth.realized) == (Decimal("1.5"), Decimal(4016), Decimal(0))
    assert [a.kind for a in report.outside_changes] == [AdjustmentKind.WITHDRAWAL]


async def test_no_sync_while_an_order_outcome_is_unknown(world: World) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})
    world.order_out(OrderStatus.UNKNOWN)

    report = await world.tracker.report()

    assert not report.synced
    assert report.adjustments == () and world.store.committed.adjustments == []


async def test_no_sync_when_a_run_started_after_the_balances_were_read(world: World) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})
    world.order_out(OrderStatus.FILLED, finished=True)  # a run with an id above the reading's

    assert not (await world.tracker.report()).synced


async def test_paper_lots_never_mix_with_live_ones(world: World) -> None:
    world.filled(*[fill("buy", "3", "1000", "0", day(0), "L1", mode="live")])
    world.filled(*ISSUE_FILLS)
    world.readings.hold({"ETH": "0.5"}, {"ETH": "4000"})

    (eth,) = (await world.tracker.report()).positions

    assert eth.amount == Decimal("0.5") and eth.cost == Decimal(1506)


async def test_stating_a_basis_replaces_the_estimate(world: World) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})

    result = await world.tracker.set_basis("btc", "30000")

    assert (result.asset, result.price, result.amount, result.lots) == (
        "BTC",
        Decimal(30000),
        Decimal("0.5"),
        1,
    )
    (btc,) = (await world.tracker.report()).positions
    assert (btc.cost, btc.unrealized, btc.estimated) == (Decimal(15000), Decimal(5000), False)


@pytest.mark.parametrize(
    ("symbol", "price", "code"),
    [
        ("BTC", "0", "bad_price"),
        ("BTC", "-5", "bad_price"),
        ("BTC", "lots", "bad_price"),
        ("BTC", "2,000", "bad_price"),
        ("BTC", "NaN", "bad_price"),
        ("BTC", "1e5", "bad_price"),
        ("BTC", "1_000", "bad_price"),
        ("BTC", "+5", "bad_price"),
        ("DOGE", "1", "not_tradable"),
        ("EUR", "1", "quote_is_cash"),
        ("B-T", "1", "bad_symbol"),
    ],
)
async def test_a_basis_needs_a_known_symbol_and_a_positive_price(
    world: World, symbol: str, price: str, code: str
) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})

    with pytest.raises(InputError) as caught:
        await world.tracker.set_basis(symbol, price)

    assert caught.value.code == code
    assert world.store.committed.adjustments == []


async def test_a_basis_for_an_asset_the_bot_bought_is_refused(world: World) -> None:
    world.filled(*ISSUE_FILLS)
    world.readings.hold({"ETH": "0.5"}, {"ETH": "4000"})

    with pytest.raises(InputError) as caught:
        await world.tracker.set_basis("ETH", "1000")

    assert caught.value.code == "no_opening_lot"


async def test_value_is_sampled_at_most_once_an_hour(world: World) -> None:
    world.readings.hold({"BTC": "0.5", "EUR": "50"}, {"BTC": "40000"})
    await world.tracker.report()
    world.clock.advance(minutes=59)
    await world.tracker.report()
    world.clock.advance(minutes=1)
    world.readings.hold({"BTC": "0.5", "EUR": "50"}, {"BTC": "30000"})

    report = await world.tracker.report()

    assert [s.total for s in report.samples] == [Decimal(20050), Decimal(15050)]
    assert report.samples[0].values == {"BTC": Decimal(20000), "EUR": Decimal(50)}
    assert report.series is not None
    assert (report.series.total.high.value, report.series.total.low.value) == (20050, 15050)


async def test_the_fills_export_is_the_mode_s_fills_from_a_day_on(world: World) -> None:
    world.filled(*ISSUE_FILLS)

    header, *rows = world.tracker.export_fills(since=day(1).date())

    assert header[:4] == ("time", "mode", "side", "asset")
    assert [r[10] for r in rows] == ["B2", "S1"]
    assert rows[1][4:8] == ("1.5", "4000", "6000", "24")
    assert rows[1][11:] == ("c-S1", "1", "manual")
    assert len(world.tracker.export_fills()) == 4


async def test_the_lots_export_has_the_open_lot_and_the_realized_matches(world: World) -> None:
    world.filled(*ISSUE_FILLS)
    world.readings.hold({"ETH": "0.5"}, {"ETH": "4000"})

    _, *rows = await world.tracker.export_lots()

    assert [(r[1], r[5], r[6]) for r in rows] == [
        ("open", "0.5", "1506"),
        ("closed", "1", "2008"),
        ("closed", "0.5", "1506"),
    ]
    assert sum(Decimal(r[8]) for r in rows if r[1] == "closed") == Decimal(2462)


def test_monthly_figures_and_fee_share_come_from_the_ledger(world: World) -> None:
    world.filled(*ISSUE_FILLS)

    figures = world.tracker.figures()

    assert figures.fees == Decimal(44)
    assert sum(m.realized for m in figures.months) == Decimal(2462)
    assert figures.fee_share_pct is None  # no value samples yet


def stored(plan: Plan) -> PlanRecord:
    return PlanRecord(
        id="first",
        user_id="1",
        created_at=plan.created_at,
        expires_at=plan.created_at + timedelta(minutes=2),
        content_hash="h",
        prices={},
        payload_json=json.dumps(plan_to_dict(plan)),
        mode="paper",
    )


async def test_openings_take_the_time_and_prices_of_the_first_plan_the_bot_made(
    world: World,
) -> None:
    world.readings.hold({"BTC": "0.5", "ETH": "2"}, {"BTC": "30000"})
    first = world.readings.plan()  # a week ago, ETH not priced then
    world.store.add_plan(stored(replace(first, created_at=NOW - timedelta(days=7))))
    world.readings.hold({"BTC": "0.5", "ETH": "2"}, {"BTC": "40000", "ETH": "2500"})

    report = await world.tracker.report()

    btc, eth = report.positions
    assert (btc.cost, btc.first_entry) == (Decimal(15000), NOW - timedelta(days=7))
    assert eth.cost == Decimal(5000)  # today's price for what the first plan did not price
    assert btc.unrealized == Decimal(5000) and btc.estimated


async def test_an_unreadable_first_plan_leaves_the_openings_at_todays_prices(
    world: World,
) -> None:
    world.readings.hold({"BTC": "0.5"}, {"BTC": "40000"})
    world.store.first_plan = replace(stored(world.readings.plan()), payload_json="{}")

    (btc,) = (await world.tracker.report()).positions

    assert (btc.cost, btc.first_entry) == (Decimal(20000), NOW)
