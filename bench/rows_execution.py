"""Row 3: a whole rebalance of 4, 10 and 25 assets, from confirm (`execute`) to report.

The fake Kraken adds 50 ms before every request and enforces Kraken's Starter REST counter
(max 15, decay 0.33/s), answering `EAPI:Rate limit exceeded` beyond it. Every run starts from
the same balances and prices, a REST counter at zero and (for the project) a fresh database
with no cooldown. The plan is made before the clock starts: by `prepare_rebalance` for the
project, by the reference's own float planner for the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bench.harness import reps, timed
from bench.reference import NaiveOrder
from bench.report import Row, Side, Unit
from bench.scenario import (
    LATENCY_S,
    TIER,
    USER,
    Scenario,
    live_settings,
    naive_bot,
    scenario,
    set_up_kraken,
)
from bench.servers import KrakenServer, kraken_server
from core.bootstrap import open_rebalancer

SIZES = (4, 10, 25)
# Reference runs take ~4 s per order (a 1 s pause, then a fetch_order every 3 s): fewer runs.
REFERENCE_RUNS = {4: 2, 10: 1, 25: 1}
QUICK_REFERENCE_RUNS = {4: 1}
NOTE = (
    "reference: NaiveBot.execute (ccxt default rate limiting; orders one by one with a 1 s "
    "pause; then fetch_order per order, 3 s apart under ccxt's cost 3; then the balance); "
    "it skips the project's price re-check and drift-after read"
)


@dataclass(frozen=True)
class Run:
    seconds: float
    requests: int
    rate_limit_errors: int
    filled: int


async def _project_run(kraken: KrakenServer, sc: Scenario, db: Path) -> Run:
    await set_up_kraken(kraken, sc)
    async with open_rebalancer(live_settings(kraken, sc, db)) as app:
        prepared = await app.prepare_rebalance(USER)
        await kraken.clear_requests()
        seconds, report = await timed(lambda: app.execute(prepared.plan_id, USER))
        counts = await kraken.counts()
    filled = sum(1 for o in report.orders if o.status == "filled")
    return Run(seconds, counts.total, counts.rate_limit_errors, filled)


async def _reference_plan(kraken: KrakenServer, sc: Scenario) -> list[NaiveOrder]:
    """The reference's orders, read without ccxt's pacing (set-up, not measured)."""
    async with naive_bot(kraken, sc, rate_limited=False) as bot:
        await bot.load_markets()
        return await bot.preview()


async def _reference_run(kraken: KrakenServer, sc: Scenario) -> Run:
    await set_up_kraken(kraken, sc)
    orders = await _reference_plan(kraken, sc)
    async with naive_bot(kraken, sc) as bot:
        await bot.load_markets()  # leaves ccxt's usual 1 s debt, as a preview's last call does
        await kraken.clear_requests()
        seconds, report = await timed(lambda: bot.execute(orders))
        counts = await kraken.counts()
    return Run(seconds, counts.total, counts.rate_limit_errors, report.filled)


async def execution_rows(quick: bool, workdir: Path) -> list[Row]:
    rows: list[Row] = []
    runs = QUICK_REFERENCE_RUNS if quick else REFERENCE_RUNS
    async with kraken_server(LATENCY_S, TIER) as kraken:
        for n in SIZES:
            sc = scenario(n)
            project = [
                await _project_run(kraken, sc, workdir / f"execute-{n}-{i}.db")
                for i in range(reps(quick, 3))
            ]
            reference = [await _reference_run(kraken, sc) for _ in range(runs.get(n, 0))]
            rows += _rows(n, project, reference)
    return rows


def _side(runs: list[Run], field: str) -> Side:
    if not runs:
        return Side.na("skipped (--quick)")
    return Side.of(float(getattr(run, field)) for run in runs)


REQUESTS_NOTE = (
    "the project makes N + 4 requests: Ticker (prices re-checked), the sells, one QueryOrders, "
    "Balance between the waves (buys sized from the cash the sells really left), the buys, one "
    "QueryOrders (the drift after comes from the fills); the reference asks once per order"
)


def _rows(n: int, project: list[Run], reference: list[Run]) -> list[Row]:
    group = f"3 execute, {n} assets"

    def row(field: str, metric: str, unit: Unit, note: str, goal: float | None = None) -> Row:
        key = f"execute.{n}.{field}"
        mine, theirs = _side(project, field), _side(reference, field)
        return Row(key, group, metric, unit, mine, theirs, note, goal)

    return [
        row("seconds", "execute() → report", "s", NOTE),
        row("requests", "requests", "count", REQUESTS_NOTE),
        row("rate_limit_errors", "rate-limit errors", "count", "", goal=0),
        row("filled", "orders filled", "count", "", goal=n),
    ]
