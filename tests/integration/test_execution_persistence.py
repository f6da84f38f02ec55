"""A full rebalance end to end (paper and live), and what a restart keeps of it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from core.app.api import ExecutionReport
from core.domain.models import ZERO, Side
from core.domain.statuses import PlanStatus, RunOutcome
from core.errors import ExecutionRefused
from tests.integration.conftest import OWNER, Account

pytestmark = pytest.mark.both_engines  # each test on SQLite and on PostgreSQL


@dataclass(frozen=True)
class Booked:
    """One order as the exchange itself reports it."""

    client_id: str
    side: Side
    filled: Decimal
    average_price: Decimal
    cost: Decimal
    fee: Decimal


def booked(account: Account) -> list[Booked]:
    """The exchange's orders (live: in the order they were placed)."""
    if account.mode == "live":
        wire = [o.to_kraken() | {"cl_ord_id": o.cl_ord_id} for o in account.fake.orders]
        return [
            Booked(
                w["cl_ord_id"],
                Side(w["descr"]["type"]),
                *(Decimal(w[k]) for k in ("vol_exec", "price", "cost", "fee")),
            )
            for w in wire
        ]
    return [
        Booked(o.client_id or "", o.side, o.filled, o.average_price or ZERO, o.cost, o.fee)
        for o in account.store.paper_orders()
    ]


async def full_rebalance(account: Account) -> ExecutionReport:
    prepared = await account.app.prepare_rebalance(OWNER)
    assert prepared.plan.rebalance_due
    report = await account.app.execute(prepared.plan_id, OWNER)
    assert report.plan_id == prepared.plan_id
    return report


def assert_report_matches_the_exchange(account: Account, report: ExecutionReport) -> None:
    by_id = {b.client_id: b for b in booked(account)}
    assert set(by_id) == {o.client_order_id for o in report.orders}
    for line in report.orders:
        ex = by_id[line.client_order_id]
        assert (line.status, line.side, line.filled) == ("filled", ex.side, ex.filled)
        assert (line.average_price, line.cost, line.fee) == (ex.average_price, ex.cost, ex.fee)
    assert report.traded_value == sum((b.cost for b in by_id.values()), ZERO)
    assert report.fees == sum((b.fee for b in by_id.values()), ZERO)


def assert_sells_first(account: Account, report: ExecutionReport) -> None:
    journal = account.journal(report.plan_id)
    sides = [e.side for e in journal]
    assert sides == sorted(sides, key=lambda s: s is Side.BUY)  # every sell before any buy
    assert sides[0] is Side.SELL and sides[-1] is Side.BUY
    assert [o.client_order_id for o in report.orders] == [e.client_order_id for e in journal]


def assert_recorded_in_full(account: Account, report: ExecutionReport) -> None:
    (run,) = account.app.history()
    assert (run.run_id, run.outcome) == (report.run_id, RunOutcome.FULL)
    assert (run.traded_value, run.fees) == (report.traded_value, report.fees)
    assert (run.drift_before, run.drift_after) == (report.drift_before, report.drift_after)
    assert run.orders == report.orders
    assert run.duration_s > 0
    plan = account.store.get_plan(report.plan_id)
    assert plan is not None and plan.status is PlanStatus.EXECUTED


async def test_a_full_rebalance_in_live_mode_sells_first_and_reports_what_kraken_did(
    live: Account,
) -> None:
    report = await full_rebalance(live)
    assert report.outcome is RunOutcome.FULL
    assert [b.side for b in booked(live)] == [Side.SELL, Side.BUY, Side.BUY, Side.BUY]
    assert_sells_first(live, report)
    assert_report_matches_the_exchange(live, report)
    assert_recorded_in_full(live, report)
    assert report.drift_after is not None
    assert report.drift_after < report.drift_before
    assert report.drift_after < live.settings.plan.drift_band_pct
    assert ZERO <= live.fake.balance("ZEUR") < report.traded_value / 100  # cash put to work


async def test_the_buys_are_sized_from_the_cash_the_sells_really_raised(live: Account) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.set_price("BTC/EUR", "39640")  # -0.9 %: within tolerance, the sell raises less
    report = await live.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL
    planned = {o.asset: o.amount for o in prepared.plan.buys}
    bought = {o.asset: o.filled for o in report.orders if o.side is Side.BUY}
    assert bought.keys() == planned.keys()
    assert all(bought[a] < planned[a] for a in planned)
    raised = sum((o.cost - o.fee for o in report.orders if o.side is Side.SELL), ZERO)
    spent = sum((o.cost + o.fee for o in report.orders if o.side is Side.BUY), ZERO)
    assert spent <= raised
    assert live.fake.balance("ZEUR") >= 0


async def test_a_full_rebalance_in_paper_mode_moves_the_book_as_reported(paper: Account) -> None:
    before = await paper.holdings()
    report = await full_rebalance(paper)
    assert report.outcome is RunOutcome.FULL
    assert_sells_first(paper, report)
    assert_report_matches_the_exchange(paper, report)
    assert_recorded_in_full(paper, report)
    assert report.drift_after is not None and report.drift_after < report.drift_before
    after = await paper.holdings()
    for line in report.orders:
        sign = 1 if line.side is Side.BUY else -1
        assert after[line.asset] == before[line.asset] + sign * line.filled
    spent = sum((o.cost if o.side is Side.BUY else -o.cost) + o.fee for o in report.orders)
    assert after["EUR"] == before.get("EUR", ZERO) - spent
    assert after["EUR"] >= 0


async def test_a_restart_keeps_targets_locks_plans_journal_and_history(account: Account) -> None:
    app = account.app
    await app.set_targets("BTC=45,ETH=35,SOL=20")
    await app.lock("ADA", OWNER, "long-term hold")
    report = await full_rebalance(account)
    account.clock.advance(minutes=account.settings.cooldown_minutes - 1)  # confirmable soon
    await app.set_targets("BTC=25,ETH=25,SOL=50")
    pending = await app.prepare_rebalance(OWNER)
    kept = (
        app.targets(),
        app.locked(),
        account.store.get_plan(pending.plan_id),
        account.journal(report.plan_id),
        account.store.fills(),
        app.history(),
        app.stats(),
    )
    assert kept[5] and kept[4]

    app = await account.restart()
    assert await app.reconcile() == ()  # nothing was left unresolved
    assert (
        app.targets(),
        app.locked(),
        account.store.get_plan(pending.plan_id),
        account.journal(report.plan_id),
        account.store.fills(),
        app.history(),
        app.stats(),
    ) == kept
    with pytest.raises(ExecutionRefused) as caught:  # the cooldown survives the restart too
        await app.execute(pending.plan_id, OWNER)
    assert caught.value.code == "cooldown"
