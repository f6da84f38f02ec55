"""Row 7: the same rebalance with ORDER_TYPE=market and with ORDER_TYPE=maker-first, on the
same seeded price tape of the fake Kraken (a 10 bps spread and a random walk of 5 bps per
step; each step's other traders take up to 2 x 500 EUR on each side of the book).

For each run: the cost in bps of the traded value (fees, plus the average price against the
plan's mid), the share of the planned value traded (at the plan's mids) and the time to
complete. Maker-first waits on the tape, not on the wall clock: each poll (3 s) moves the
tape one step and the application's clock 3 s, so its time is wall time plus the simulated
waits. "project" is maker-first, "reference" the market orders; ratio = market / maker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.harness import reps
from bench.report import Row, Side, Unit
from bench.scenario import USER, Scenario, live_settings, scenario, set_up_kraken
from bench.servers import KrakenServer, kraken_server
from core.app.api import ExecutionReport
from core.bootstrap import open_rebalancer
from core.domain.models import ZERO, Plan
from core.domain.models import Side as OrderSide

GROUP = "7 maker-first vs market (4 assets)"
TAPE = {"spread_bps": "10", "step_bps": "5", "flow_value": "500"}
SEEDS = (1, 2, 3, 4, 5)
BPS = Decimal(10_000)
NOTE = (
    f"same seeded tape for both (spread {TAPE['spread_bps']} bps, random walk "
    f"{TAPE['step_bps']} bps per 3 s step, flow 0..2x{TAPE['flow_value']} EUR per side); "
    "MAKER_TIMEOUT_SECONDS=60, MAX_SLIPPAGE_PCT=0.5; maker fee 0.25 %, taker 0.40 %; "
    "target: maker-first at least 30 % cheaper (ratio >= 1.43) with >= 99 % traded"
)


@dataclass(frozen=True)
class Run:
    cost_bps: float
    traded_pct: float
    seconds: float


class SimClock:
    """The wall clock plus the waits maker-first spent on the tape."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def _run(kraken: KrakenServer, sc: Scenario, db: Path, flow: str, seed: int) -> Run:
    await set_up_kraken(kraken, sc)
    await kraken.control("tape", {"seed": seed, **TAPE})
    clock = SimClock()

    async def on_tape(seconds: float) -> None:
        clock.offset += timedelta(seconds=seconds)
        if seconds >= 1:  # a poll: the market moves on
            await kraken.control("advance", {"steps": 1})

    settings = live_settings(kraken, sc, db, order_type=flow, price_drift_tolerance_pct=5)
    async with open_rebalancer(settings, clock) as app:
        app.sleep = on_tape
        prepared = await app.prepare_rebalance(USER)
        report = await app.execute(prepared.plan_id, USER)
    return _figures(prepared.plan, report)


def _figures(plan: Plan, report: ExecutionReport) -> Run:
    mids = {x.asset: x.price or ZERO for x in plan.lines}
    planned = sum((o.amount * mids[o.asset] for o in plan.orders), ZERO)
    traded = sum((o.filled * mids[o.asset] for o in report.orders), ZERO)
    cost = ZERO
    for o in report.orders:
        if o.filled <= 0:
            continue
        move = (o.cost - o.filled * mids[o.asset]) * (1 if o.side is OrderSide.BUY else -1)
        cost += o.fee + move
    value = report.traded_value or Decimal(1)
    return Run(
        float(cost / value * BPS),
        float(traded / planned * 100) if planned else 0.0,
        report.duration_s,
    )


async def maker_rows(quick: bool, workdir: Path) -> list[Row]:
    seeds = SEEDS[: reps(quick, len(SEEDS))]
    sc = scenario(4)
    runs: dict[str, list[Run]] = {"market": [], "maker-first": []}
    async with kraken_server(0.0, "starter") as kraken:
        for seed in seeds:
            for flow, found in runs.items():
                found.append(
                    await _run(kraken, sc, workdir / f"maker-{flow}-{seed}.db", flow, seed)
                )
    return _rows(runs["maker-first"], runs["market"])


def _rows(maker: list[Run], market: list[Run]) -> list[Row]:
    def row(field: str, metric: str, unit: Unit, note: str = "") -> Row:
        mine = Side.of(getattr(r, field) for r in maker)
        theirs = Side.of(getattr(r, field) for r in market)
        return Row(f"maker.{field}", GROUP, metric, unit, mine, theirs, note)

    return [
        row("cost_bps", "cost, bps of traded value (fees + price vs mid)", "count", NOTE),
        row("traded_pct", "share of planned value traded, %", "count"),
        row("seconds", "time to complete (wall + simulated waits)", "s"),
    ]
