"""Row 4: time per plan for 10, 100 and 1,000 assets, to show how the cost grows with size.

The project is the pure `core.domain.planner.make_plan` on synthetic markets. The reference is
`bench.reference.naive_plan`, the naive float loop, on the same portfolio as floats: it does
less per asset (no Decimal, no cost or order minimum, no cash-constrained buy sizing, no
after-plan weights), so it is a floor for the work, not a competitor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.harness import reps, seconds_per_call
from bench.reference import naive_plan
from bench.report import Row, Side
from bench.scenario import DRIFT_BAND_PCT, QUOTE, domain_portfolio, scenario
from core.domain.models import PlanSettings
from core.domain.planner import make_plan

SIZES = (10, 100, 1000)
NOW = datetime(2026, 1, 12, tzinfo=UTC)
NOTE = (
    "reference: naive_plan, a float loop (value, target, difference, floor to the lot, skip "
    "under 10 EUR, sells then buys with a 1 % fee margin). make_plan does more per asset, in "
    "Decimal: cost and order minimums, precision, buys sized to the cash the sells leave "
    "after fees, MAX_ORDERS, locks, after-plan weights. Not meant to beat a float loop; what "
    "matters is linear growth and a cost small next to one 50 ms round trip"
)


def _per_plan(n: int, runs: int, budget_s: float) -> tuple[list[float], list[float], int]:
    sc = scenario(n, synthetic=True)
    portfolio, targets = domain_portfolio(sc), sc.targets
    settings = PlanSettings(QUOTE, drift_band_pct=DRIFT_BAND_PCT)
    plan = make_plan(portfolio, targets, frozenset(), settings, NOW)
    holdings, prices, float_targets = sc.floats()
    if len(naive_plan(holdings, prices, float_targets, QUOTE)) != len(plan.orders):
        raise RuntimeError(f"the two planners disagree on the number of orders for {n} assets")

    def project() -> object:
        return make_plan(portfolio, targets, frozenset(), settings, NOW)

    def reference() -> object:
        return naive_plan(holdings, prices, float_targets, QUOTE)

    mine = [seconds_per_call(project, budget_s) for _ in range(runs)]
    theirs = [seconds_per_call(reference, budget_s) for _ in range(runs)]
    return mine, theirs, len(plan.orders)


async def planner_rows(quick: bool, workdir: Path) -> list[Row]:
    rows: list[Row] = []
    for n in SIZES:
        mine, theirs, orders = _per_plan(n, reps(quick, 5, 2), 0.05 if quick else 0.3)
        group = f"4 planner, {n} assets ({orders} orders)"
        rows.append(
            Row(f"planner.{n}", group, "time per plan", "s", Side.of(mine), Side.of(theirs), NOTE)
        )
        rows.append(
            Row(
                f"planner.{n}.per_asset",
                group,
                "per asset",
                "s",
                Side.of(x / n for x in mine),
                Side.of(x / n for x in theirs),
                NOTE,
            )
        )
    return rows
