"""Executing a confirmed plan: single use, journaled orders, no blind resend.

Sequence: claim the plan (atomic, single use) -> take the account lease (one execution at a
time) -> check cooldown and prices -> sells, each journaled before it is sent -> confirm the
sells' fills in one query -> size the buys from the real quote balance -> buys -> confirm ->
record the run. A lost answer is resolved by looking the order up by its client order id.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from core.domain.codec import content_hash, plan_from_dict
from core.domain.execution import cash_reserve, moved_prices, resize_buys, run_outcome
from core.domain.models import ZERO, MarketData, Plan, PlannedOrder, SkippedOrder
from core.domain.planner import make_plan
from core.errors import ExchangeError, ExecutionRefused
from core.orders import OrderDesk
from core.portfolio import read_portfolio
from core.results import ExecutionReport, OrderOutcome, RunOutcome
from core.store.records import PlanRecord, PlanStatus
from core.store.repo import Store

if TYPE_CHECKING:
    from core.facade import Rebalancer

log = structlog.get_logger(__name__)
PROGRESS_TIMEOUT_S = 5.0
Progress = Callable[[OrderOutcome], Awaitable[None]]


class Execution:
    """One plan's execution for one user. Create, then `await run()`."""

    def __init__(self, app: Rebalancer, plan_id: str, user_id: str, progress: Progress | None):
        self.app, self.plan_id, self.user_id = app, plan_id, user_id
        self.progress = progress
        self.desk = OrderDesk(app.exchange, app.store, app.clock, plan_id)

    async def run(self) -> ExecutionReport:
        now = self.app.clock()
        record = self.app.store.claim_plan(self.plan_id, self.user_id, now)
        self._refuse_if_other_mode(record, now)
        if not self.app.store.acquire_lease(self.plan_id, now, self.app.stale_before()):
            self.app.store.set_plan_status(self.plan_id, PlanStatus.PENDING, now)
            raise ExecutionRefused(
                "Another rebalance is running right now; wait for its report.", code="busy"
            )
        try:
            self._refuse_if_superseded(record)  # under the lease: no other run can start now
            self._refuse_during_cooldown(now)
            plan = _verified_plan(record)
            market = await self._check_prices(plan, record)
            return await self._execute(plan, market)
        finally:
            self.app.store.release_lease(self.plan_id)

    def _refuse_if_other_mode(self, record: PlanRecord, now: datetime) -> None:
        """A plan made in paper mode never trades live, nor a live plan on paper."""
        if record.mode == self.app.mode:
            return
        self.app.store.set_plan_status(self.plan_id, PlanStatus.CANCELLED, now)
        raise ExecutionRefused(
            f"This plan was made in {record.mode} mode; the bot now runs in {self.app.mode} "
            "mode. Nothing was placed: take a fresh plan.",
            code="other_mode",
        )

    def _refuse_if_superseded(self, record: PlanRecord) -> None:
        """A plan made before the last rebalance (in this mode) ran was made for balances
        that are gone."""
        last = self.app.store.last_executed_run(mode=self.app.mode)
        if last is None or last.started_at < record.created_at:
            return
        self.app.store.set_plan_status(self.plan_id, PlanStatus.CANCELLED, self.app.clock())
        raise ExecutionRefused(
            f"Another rebalance ran at {last.started_at:%H:%M} UTC, after this plan was made: "
            "its orders no longer fit the balances. Nothing was placed: take a fresh plan.",
            code="stale",
        )

    def _refuse_during_cooldown(self, now: datetime) -> None:
        refusal = cooldown_refusal(
            self.app.store, self.app.settings.cooldown_minutes, now, mode=self.app.mode
        )
        if refusal is not None:
            self.app.store.set_plan_status(self.plan_id, PlanStatus.PENDING, now)
            raise refusal

    async def _check_prices(self, plan: Plan, record: PlanRecord) -> MarketData:
        traded = sorted({o.asset for o in plan.orders})
        try:
            market = await self.app.exchange.market_data(traded, plan.quote_currency)
        except ExchangeError:  # nothing was placed: the owner may confirm again until expiry
            self.app.store.set_plan_status(self.plan_id, PlanStatus.PENDING, self.app.clock())
            raise
        planned = {a: p for a, p in record.prices.items() if a in traded}
        moved = moved_prices(planned, market.quotes, self.app.settings.price_tolerance_pct)
        if moved:
            self.app.store.set_plan_status(self.plan_id, PlanStatus.CANCELLED, self.app.clock())
            raise ExecutionRefused(
                "Prices moved more than PRICE_DRIFT_TOLERANCE_PCT="
                f"{self.app.settings.price_tolerance_pct}% since the plan was made "
                f"({', '.join(moved)}). Nothing was placed: take a fresh plan with /rebalance.",
                code="prices_moved",
            )
        return market

    async def _execute(self, plan: Plan, market: MarketData) -> ExecutionReport:
        started, clock0 = self.app.clock(), time.monotonic()
        store = self.app.store
        run_id = store.start_run(
            self.plan_id, self.user_id, plan.max_drift_pct, started, mode=self.app.mode
        )
        self.desk.run_id = run_id
        log.info("execution.started", plan_id=self.plan_id, run_id=run_id, orders=len(plan.orders))
        sells = await self._wave(plan.sells)
        buys, resized_skips = await self._sized_buys(plan, market)
        outcomes = sells + await self._wave(buys)
        skipped = (*plan.skipped, *resized_skips)
        drift_after = await self._drift_after()
        return self._finish(
            plan,
            run_id=run_id,
            started=started,
            clock0=clock0,
            outcomes=outcomes,
            skipped=skipped,
            after=drift_after,
        )

    async def _wave(self, orders: Sequence[PlannedOrder]) -> list[OrderOutcome]:
        outcomes = await self.desk.send_and_confirm(orders)
        for outcome in outcomes:
            await self._tell(outcome)
        return outcomes

    async def _tell(self, outcome: OrderOutcome) -> None:
        """Report progress to the front end; a slow or failing front end never stalls orders."""
        if self.progress is None:
            return
        try:
            await asyncio.wait_for(self.progress(outcome), timeout=PROGRESS_TIMEOUT_S)
        except Exception as e:  # the front end's problem, not the execution's
            log.warning("execution.progress_failed", error=f"{type(e).__name__}: {e}")

    async def _sized_buys(
        self, plan: Plan, market: MarketData
    ) -> tuple[list[PlannedOrder], list[SkippedOrder]]:
        """Re-size the buys from the quote balance the sells really left."""
        if not plan.buys:
            return [], []
        try:
            balances = await self.app.exchange.balances()
        except ExchangeError as e:  # the sells are done: report the buys as not sent
            self.desk.halt(
                f"not sent: the {plan.quote_currency} balance could not be read after the sells"
                f" ({e})"
            )
            return list(plan.buys), []
        cash = balances.tradable.get(plan.quote_currency, ZERO)
        budget = max(cash - cash_reserve(plan), ZERO)  # a failed sell never eats the reserve
        return resize_buys(plan.buys, budget, market, self.app.settings.plan.min_trade_value)

    async def _drift_after(self) -> Plan | None:
        try:
            app = self.app
            targets = app.store.get_targets()
            locked = frozenset(lock.symbol for lock in app.store.locks())
            portfolio = await read_portfolio(app.exchange, set(targets) | locked, app.quote)
            return make_plan(portfolio, targets, locked, app.settings.plan, app.clock())
        except ExchangeError as e:
            log.warning("execution.drift_after_unavailable", error=str(e))
            return None

    def _finish(
        self,
        plan: Plan,
        *,
        run_id: int,
        started: datetime,
        clock0: float,
        outcomes: list[OrderOutcome],
        skipped: tuple[SkippedOrder, ...],
        after: Plan | None,
    ) -> ExecutionReport:
        finished = self.app.clock()
        outcome = RunOutcome(run_outcome([o.status for o in outcomes]))
        report = ExecutionReport(
            plan_id=self.plan_id,
            run_id=run_id,
            outcome=outcome,
            orders=tuple(outcomes),
            skipped=skipped,
            drift_before=plan.max_drift_pct,
            drift_after=None if after is None else after.max_drift_pct,
            started_at=started,
            finished_at=finished,
            quote_currency=plan.quote_currency,
        )
        self._record(report, time.monotonic() - clock0)
        return report

    def _record(self, report: ExecutionReport, duration_s: float) -> None:
        store = self.app.store
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
            note="",
            now=report.finished_at,
        )
        store.set_plan_status(self.plan_id, PlanStatus.EXECUTED, report.finished_at)
        log.info(
            "execution.finished",
            plan_id=self.plan_id,
            run_id=report.run_id,
            outcome=report.outcome.value,
            ok=report.succeeded,
            failed=report.failed,
            traded=str(report.traded_value),
            fees=str(report.fees),
            duration_s=round(duration_s, 3),
        )


def cooldown_refusal(
    store: Store, minutes: int, now: datetime, *, mode: str
) -> ExecutionRefused | None:
    """The refusal while REBALANCE_COOLDOWN_MINUTES have not passed since the last run in
    `mode` (a paper run never holds up a live one, nor the reverse)."""
    last = store.last_executed_run(mode=mode)
    if last is None or minutes <= 0:
        return None
    ends = last.started_at + timedelta(minutes=minutes)
    if now >= ends:
        return None
    return ExecutionRefused(
        f"The last rebalance ran at {last.started_at:%H:%M} UTC; the cooldown "
        f"(REBALANCE_COOLDOWN_MINUTES={minutes}) ends at {ends:%H:%M} UTC. "
        "Nothing was placed.",
        code="cooldown",
    )


def _verified_plan(record: PlanRecord) -> Plan:
    """The stored plan, provided its content still matches the hash taken when it was made."""
    data: dict[str, Any] = json.loads(record.payload_json)
    plan = plan_from_dict(data)
    if content_hash(plan) != record.content_hash:
        raise ExecutionRefused(
            "This plan's stored content does not match what was shown. Nothing was placed: "
            "take a fresh plan with /rebalance.",
            code="tampered",
        )
    return plan
