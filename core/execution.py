"""Executing a confirmed plan: single use, journaled orders, no blind resend.

Sequence: check the plan may be claimed (owner, pending, expiry, mode, content) -> take the
account lease (one execution at a time; refreshed by a heartbeat while it runs) -> refuse
a plan superseded by another run, or made under other locks or targets -> cooldown ->
prices -> claim the plan (atomic, single use, only while the locks and targets are those it
was made under) -> sells, each journaled before it is sent -> confirm the sells' fills in
one query -> size the buys from the real quote balance -> buys -> confirm -> record the
run. A lost answer is resolved by looking the order up by its client order id.

Before the claim nothing is written but terminal refusals (a plan withdrawn), so a refusal
needs no undoing. Once an order may have gone out, no failure can turn into "nothing
changed": what is known is recorded (or left for reconciliation) and reported.
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
from core.domain.execution import cash_reserve, moved_prices, resize_buys
from core.domain.models import ZERO, MarketData, Plan, PlannedOrder, SkippedOrder
from core.domain.statuses import PlanStatus, run_outcome
from core.errors import ExchangeError, ExecutionRefused, RebalanceError
from core.lease import Lease, held_lease
from core.orders import OrderDesk, local_write
from core.results import ExecutionReport, OrderOutcome
from core.store.records import PlanRecord
from core.store.repo import Store

if TYPE_CHECKING:
    from core.facade import Rebalancer

log = structlog.get_logger(__name__)
PROGRESS_TIMEOUT_S = 5.0
Progress = Callable[[OrderOutcome], Awaitable[None]]
FRESH = "Nothing was placed: take a fresh plan."


class Execution:
    """One plan's execution for one user. Create, then `await run()`."""

    def __init__(self, app: Rebalancer, plan_id: str, user_id: str, progress: Progress | None):
        self.app, self.plan_id, self.user_id = app, plan_id, user_id
        self.progress = progress
        self.store = app.store

    async def run(self) -> ExecutionReport:
        record = self.store.claimable_plan(self.plan_id, self.user_id, self.app.clock())
        self._refuse_if_other_mode(record)
        plan = self._verified_plan(record)
        async with held_lease(self.store, self.plan_id, self.app.lease_terms) as lease:
            if lease is None:
                raise ExecutionRefused(
                    "Another rebalance is running right now; wait for its report.", code="busy"
                )
            self._refuse_if_superseded(record)  # under the lease: no other run can start now
            self._refuse_if_config_changed(record)
            self._refuse_during_cooldown(self.app.clock())
            market = await self._check_prices(plan, record)
            self.store.claim_plan(
                self.plan_id, self.user_id, self.app.clock(), record.config_version
            )
            return await self._execute(plan, market, lease)

    def _withdraw(self, error: ExecutionRefused) -> ExecutionRefused:
        """End the pending plan (it can never pass this check again) and return the refusal."""
        self.store.withdraw_plan(self.plan_id)
        return error

    def _refuse_if_other_mode(self, record: PlanRecord) -> None:
        """A plan made in paper mode never trades live, nor a live plan on paper."""
        if record.mode == self.app.mode:
            return
        raise self._withdraw(
            ExecutionRefused(
                f"This plan was made in {record.mode} mode; the bot now runs in "
                f"{self.app.mode} mode. {FRESH}",
                code="other_mode",
            )
        )

    def _verified_plan(self, record: PlanRecord) -> Plan:
        """The stored plan, provided its content still matches the hash taken when it was made."""
        data: dict[str, Any] = json.loads(record.payload_json)
        plan = plan_from_dict(data)
        if content_hash(plan) == record.content_hash:
            return plan
        raise self._withdraw(
            ExecutionRefused(
                f"This plan's stored content does not match what was shown. {FRESH}",
                code="tampered",
            )
        )

    def _refuse_if_superseded(self, record: PlanRecord) -> None:
        """A run that started after the plan's balances were read, or was still running
        then, may have moved them: the plan's orders no longer fit."""
        if record.runs_seen is None:  # made before this version recorded what it saw
            raise self._withdraw(
                ExecutionRefused(f"This plan was made by an older version. {FRESH}", code="stale")
            )
        run = self.store.superseding_run(record.runs_seen, self.app.mode)
        if run is None:
            return
        raise self._withdraw(
            ExecutionRefused(
                f"Another rebalance ran at {run.started_at:%H:%M} UTC, after this plan's "
                f"balances were read: its orders no longer fit them. {FRESH}",
                code="stale",
            )
        )

    def _refuse_if_config_changed(self, record: PlanRecord) -> None:
        if self.store.config_version() == record.config_version:
            return
        raise self._withdraw(
            ExecutionRefused(
                f"The locks or targets changed since this plan was made. {FRESH}", code="changed"
            )
        )

    def _refuse_during_cooldown(self, now: datetime) -> None:
        refusal = cooldown_refusal(
            self.store, self.app.settings.cooldown_minutes, now, mode=self.app.mode
        )
        if refusal is not None:  # the plan stays pending: it may run once the cooldown ends
            raise refusal

    async def _check_prices(self, plan: Plan, record: PlanRecord) -> MarketData:
        """Fresh prices of the traded assets; an exchange failure leaves the plan pending."""
        traded = sorted({o.asset for o in plan.orders})
        market = await self.app.exchange.market_data(traded, plan.quote_currency)
        planned = {a: p for a, p in record.prices.items() if a in traded}
        tolerance = self.app.settings.price_tolerance_pct
        moved = moved_prices(planned, market.quotes, tolerance)
        if not moved:
            return market
        raise self._withdraw(
            ExecutionRefused(
                f"Prices moved more than PRICE_DRIFT_TOLERANCE_PCT={tolerance}% since the plan "
                f"was made ({', '.join(moved)}). {FRESH}",
                code="prices_moved",
            )
        )

    async def _execute(self, plan: Plan, market: MarketData, lease: Lease) -> ExecutionReport:
        started, clock0 = self.app.clock(), time.monotonic()
        run_id = self.store.start_run(
            self.plan_id, self.user_id, plan.max_drift_pct, started, mode=self.app.mode
        )
        desk = OrderDesk(
            self.app.exchange, self.store, self.app.clock, self.plan_id, self.app.mode, lease
        )
        desk.run_id = run_id
        log.info("execution.started", plan_id=self.plan_id, run_id=run_id, orders=len(plan.orders))
        run = _Run(plan, run_id, started, clock0)
        try:
            await self._trade(desk, run, market)
        except Exception as e:  # after the run started, orders may be out: never "nothing changed"
            return await self._interrupted(desk, run, e)
        if desk.storage_failed:
            run.problem, run.detail = "storage", "the order journal could not be written"
        run.after = await self._drift_after()
        return await self._finish(run, desk.outcomes())

    async def _trade(self, desk: OrderDesk, run: _Run, market: MarketData) -> None:
        await self._wave(desk, run.plan.sells)
        buys, run.dropped = await self._sized_buys(desk, run.plan, market)
        await self._wave(desk, buys)

    async def _wave(self, desk: OrderDesk, orders: Sequence[PlannedOrder]) -> None:
        for outcome in await desk.send_and_confirm(orders):
            await self._tell(outcome)

    async def _tell(self, outcome: OrderOutcome) -> None:
        """Report progress to the front end; a slow or failing front end never stalls orders."""
        if self.progress is None:
            return
        try:
            await asyncio.wait_for(self.progress(outcome), timeout=PROGRESS_TIMEOUT_S)
        except Exception as e:  # the front end's problem, not the execution's
            log.warning("execution.progress_failed", error=f"{type(e).__name__}: {e}")

    async def _sized_buys(
        self, desk: OrderDesk, plan: Plan, market: MarketData
    ) -> tuple[list[PlannedOrder], tuple[SkippedOrder, ...]]:
        """Re-size the buys from the quote balance the sells really left."""
        if not plan.buys:
            return [], ()
        try:
            balances = await self.app.exchange.balances()
        except ExchangeError as e:  # the sells are done: report the buys as not sent
            desk.halt(
                f"not sent: the {plan.quote_currency} balance could not be read after the sells"
                f" ({e})"
            )
            return list(plan.buys), ()
        cash = balances.tradable.get(plan.quote_currency, ZERO)
        budget = max(cash - cash_reserve(plan), ZERO)  # a failed sell never eats the reserve
        mtv = self.app.settings.plan.min_trade_value
        buys, dropped = resize_buys(plan.buys, budget, market, mtv)
        return buys, tuple(dropped)

    async def _drift_after(self) -> Plan | None:
        """The drift the run left, by the same code path as a preview; None if unavailable
        (the orders are out: nothing here may turn the report into a failure)."""
        try:
            return await self.app.preview()
        except Exception as e:
            log.warning("execution.drift_after_unavailable", error=f"{type(e).__name__}: {e}")
            return None

    async def _interrupted(self, desk: OrderDesk, run: _Run, error: Exception) -> ExecutionReport:
        """A failure once the run started: report what is known; sending stops."""
        log.error("execution.interrupted", plan_id=self.plan_id, exc_info=error)
        problem = "storage" if isinstance(error, RebalanceError) else "internal"
        run.problem, run.detail = problem, f"{type(error).__name__}: {error}"
        return await self._finish(run, desk.outcomes())

    async def _finish(self, run: _Run, outcomes: list[OrderOutcome]) -> ExecutionReport:
        statuses = [o.status for o in outcomes]
        not_sent = len(run.plan.orders) - len(outcomes)  # re-sized away, or cut short
        report = ExecutionReport(
            plan_id=self.plan_id,
            run_id=run.run_id,
            outcome=run_outcome(statuses, dropped=not_sent),
            orders=tuple(outcomes),
            skipped=(*run.plan.skipped, *run.dropped),
            drift_before=run.plan.max_drift_pct,
            drift_after=None if run.after is None else run.after.max_drift_pct,
            started_at=run.started,
            finished_at=self.app.clock(),
            quote_currency=run.plan.quote_currency,
            dropped=run.dropped,
            problem=run.problem,
            problem_detail=run.detail,
        )
        await self._record(report, time.monotonic() - run.clock0)
        return report

    async def _record(self, report: ExecutionReport, duration_s: float) -> None:
        """Record the run (a local write, retried); if the database still fails, the run stays
        `running` and reconciliation records it from the journal later."""
        try:
            await local_write(lambda: _store_run(self.store, report, duration_s))
        except Exception as e:
            log.error("execution.not_recorded", run_id=report.run_id, error=str(e))
        log.info(
            "execution.finished",
            plan_id=self.plan_id,
            run_id=report.run_id,
            outcome=report.outcome.value,
            ok=report.succeeded,
            failed=report.failed,
            unknown=report.unresolved,
            traded=str(report.traded_value),
            fees=str(report.fees),
            duration_s=round(duration_s, 3),
        )


class _Run:
    """What one run has gathered so far."""

    def __init__(self, plan: Plan, run_id: int, started: datetime, clock0: float) -> None:
        self.plan, self.run_id, self.started, self.clock0 = plan, run_id, started, clock0
        self.dropped: tuple[SkippedOrder, ...] = ()
        self.after: Plan | None = None
        self.problem, self.detail = "", ""


def _store_run(store: Store, report: ExecutionReport, duration_s: float) -> None:
    """How the run ended, and its plan executed; an unknown outcome is reconciled later."""
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
