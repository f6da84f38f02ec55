"""Bench row 7's figures: cost in bps of the traded value (fees and the price against the
plan's mid), and the share of the planned value traded."""

from __future__ import annotations

from decimal import Decimal

from bench.rows_maker import _figures
from core.app.api import ExecutionReport, OrderOutcome
from core.domain.models import AssetLine, DataSource, LineStatus, Plan, PlannedOrder, Side
from core.domain.statuses import OrderStatus, RunOutcome
from tests.unit.builders import NOW

D = Decimal


def test_cost_counts_the_fee_and_the_price_against_the_mid_per_side() -> None:
    line = AssetLine("BTC", LineStatus.MANAGED, D(1), D(100), D(100), None, None, None, None, D(0))
    orders = (
        PlannedOrder("BTC", "BTC/EUR", Side.BUY, D(10), D(100), D(1000), D(4)),
        PlannedOrder("BTC", "BTC/EUR", Side.SELL, D(10), D(100), D(1000), D(4)),
    )
    plan = Plan(
        "EUR", NOW, DataSource("t", NOW), D(0), D(0), (line,), orders, (), True, D(0), D(0), D(5)
    )
    bought = OrderOutcome(
        "b", "BTC", "BTC/EUR", Side.BUY, D(10), D(10), D("100.1"), D(1001), D(1), OrderStatus.FILLED
    )
    sold = OrderOutcome(
        "s", "BTC", "BTC/EUR", Side.SELL, D(10), D(5), D("99.9"), D("499.5"), D("0.5"),
        OrderStatus.PARTIAL,
    )  # fmt: skip
    report = ExecutionReport(
        "p", 1, RunOutcome.PARTIAL, (bought, sold), (), D(1), D(1), NOW, NOW, "EUR"
    )

    run = _figures(plan, report)

    # fees 1.5 + 1 above the mid on the buy + 0.5 below it on the sell = 3 on 1,500.5 traded
    assert round(run.cost_bps, 3) == round(3 / 1500.5 * 10_000, 3)
    assert run.traded_pct == 75.0  # 15 of the 20 planned, at the mid
