"""One run of a claimed plan: the sells, the buys sized from the cash they raised, the drift
left (from the fills and the prices just read), and the record of how it ended.

Once the run has started, no exception leaves as "nothing changed": a failure stops the
sending, and the report says what is known (`problem`), recorded if the database allows,
left for reconciliation otherwise.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog

from core.app.api import ExecutionReport, OrderOutcome
from core.app.journal import Sleep
from core.app.lease import LeaseTerms
from core.app.order_desk import OrderDesk, local_write
from core.app.ports import Exchange
from core.app.progress import Reporter
from core.app.reading import PlanReader
from core.app.repositories import Store
from core.app.settings import AppSettings
from core.domain.execution_rules import (
    Fill,
    after_fills,
    cash_reserve,
    holdings_before,
    resize_buys,
)
from core.domain.models import (
    ZERO,
    Balances,
    MarketData,
    Plan,
    PlannedOrder,
    Portfolio,
    Side,
    SkippedOrder,
)
from core.domain.statuses import PlanStatus, run_outcome
from core.errors import ExchangeError, RebalanceError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ExecutionDeps:
    """What an execution needs, and nothing more."""

    exchange: Exchange
    store: Store
    clock: Callable[[], datetime]
    settings: AppSettings
    lease: LeaseTerms
    reader: PlanReader
    sleep: Sleep = asyncio.sleep  # between journal write attempts and order lookups


class Run:
    def __init__(
        self,
        deps: ExecutionDeps,
        reporter: Reporter,
        desk: OrderDesk,
        plan: Plan,
        run_id: int,
    ) -> None:
        self.deps, self.reporter, self.desk, self.plan = deps, reporter, desk, plan
        self.run_id = desk.run_id = run_id
        self.started, self.clock0 = deps.clock(), time.monotonic()
        self.dropped: tuple[SkippedOrder, ...] = ()
        self.cash_read: Balances | None = None  # the balance read between the waves
        self.problem, self.detail = "", ""

    async def execute(self, market: MarketData) -> ExecutionReport:
        try:
            await self._wave(self.plan.sells)
            await self._wave(await self._sized_buys(market))
        except Exception as e:  # orders may be out: say what is known, send nothing more
            log.error("execution.interrupted", plan_id=self.desk.plan_id, exc_info=e)
            self.problem = "storage" if isinstance(e, RebalanceError) else "internal"
            self.detail = f"{type(e).__name__}: {e}"
        if self.desk.storage_failed and not self.problem:
            self.problem, self.detail = "storage", "the order journal could not be written"
        after = self._drift_after(market)
        return await self._finish(after)

    async def _wave(self, orders: Sequence[PlannedOrder]) -> None:
        for outcome in await self.desk.send_and_confirm(orders):
            await self.reporter.tell(outcome)

    async def _sized_buys(self, market: MarketData) -> list[PlannedOrder]:
        """The buys, re-sized from the quote balance the sells really left."""
        plan = self.plan
        if not plan.buys:
            return []
        try:
            self.cash_read = await self.deps.exchange.balances()
        except ExchangeError as e:  # the sells are done: report the buys as not sent
            self.desk.halt(
                f"not sent: the {plan.quote_currency} balance could not be read after the sells"
                f" ({e})"
            )
            return list(plan.buys)
        cash = self.cash_read.tradable.get(plan.quote_currency, ZERO)
        budget = max(cash - cash_reserve(plan), ZERO)  # a failed sell never eats the reserve
        mtv = self.deps.settings.plan.min_trade_value
        buys, dropped = resize_buys(plan.buys, budget, market, mtv)
        self.dropped = tuple(dropped)
        return buys

    def _drift_after(self, market: MarketData) -> Plan | None:
        """The plan the holdings the fills leave would give now, at the prices just read:
        the preview's code path, without a second reading. None if it cannot be had."""
        try:
            start, counted = self._holdings_known()
            fills = [_fill(o) for o in self.desk.outcomes() if o.filled > 0]
            balances = after_fills(start, [f for f in fills if f.side not in counted], self.quote)
            portfolio = Portfolio(balances=balances, market=market)
            return self.deps.reader.plan_of(
                portfolio, self.deps.store.plan_basis(self.deps.settings.mode)
            )
        except Exception as e:  # the orders are out: nothing here may fail the report
            log.warning("execution.drift_after_unavailable", error=f"{type(e).__name__}: {e}")
            return None

    def _holdings_known(self) -> tuple[Balances, frozenset[Side]]:
        """The last holdings known for sure, and the sides of the fills already in them: the
        balance read between the waves holds the sells; before it, the plan's holdings."""
        if self.cash_read is None:
            return holdings_before(self.plan), frozenset()
        return self.cash_read, frozenset({Side.SELL})

    @property
    def quote(self) -> str:
        return self.plan.quote_currency

    async def _finish(self, after: Plan | None) -> ExecutionReport:
        outcomes = self.desk.outcomes()
        not_sent = len(self.plan.orders) - len(outcomes)  # re-sized away, or cut short
        report = ExecutionReport(
            plan_id=self.desk.plan_id,
            run_id=self.run_id,
            outcome=run_outcome([o.status for o in outcomes], dropped=not_sent),
            orders=tuple(outcomes),
            skipped=(*self.plan.skipped, *self.dropped),
            drift_before=self.plan.max_drift_pct,
            drift_after=None if after is None else after.max_drift_pct,
            started_at=self.started,
            finished_at=self.deps.clock(),
            quote_currency=self.plan.quote_currency,
            dropped=self.dropped,
            problem=self.problem,
            problem_detail=self.detail,
        )
        await _record(self.deps, report, time.monotonic() - self.clock0)
        return report


def _fill(o: OrderOutcome) -> Fill:
    return Fill(asset=o.asset, side=o.side, amount=o.filled, cost=o.cost, fee=o.fee)


async def _record(deps: ExecutionDeps, report: ExecutionReport, duration_s: float) -> None:
    """The run and its plan, recorded as one (a local write, retried); if the database still
    fails, the run stays `running` and reconciliation records it from the journal later."""
    try:
        await local_write(lambda: _store_run(deps.store, report, duration_s), deps.sleep)
    except Exception as e:
        log.error("execution.not_recorded", run_id=report.run_id, error=str(e))
    log.info(
        "execution.finished",
        plan_id=report.plan_id,
        run_id=report.run_id,
        outcome=report.outcome.value,
        ok=report.succeeded,
        failed=report.failed,
        unknown=report.unresolved,
        traded=str(report.traded_value),
        fees=str(report.fees),
        duration_s=round(duration_s, 3),
    )


def _store_run(store: Store, report: ExecutionReport, duration_s: float) -> None:
    with store.unit_of_work() as uow:
        store.finish_run(
            report.run_id,
            outcome=report.outcome,
            drift_after=report.drift_after,
            traded_value=report.traded_value,
            fees=report.fees,
            duration_s=duration_s,
            orders_ok=report.succeeded,
            orders_failed=report.failed,
            orders_skipped=len(report.skipped),
            note=report.problem_detail,
            now=report.finished_at,
        )
        store.set_plan_status(report.plan_id, PlanStatus.EXECUTED, report.finished_at)
        uow.commit()
