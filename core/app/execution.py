"""Executing a confirmed plan: single use, journaled orders, no blind resend.

Sequence: check the plan may be claimed (owner, pending, expiry, mode, content) -> take the
account lease (one execution at a time; refreshed by a heartbeat while it runs) -> refuse
a plan superseded by another run, or made under other locks or targets -> cooldown ->
prices -> claim the plan and start its run as one unit of work (single use, only while the
locks and targets are those it was made under) -> sells, each journaled before it is sent
-> confirm the sells' fills in one query -> size the buys from the real quote balance ->
buys -> confirm -> record the run and its plan as one. A lost answer is resolved by looking
the order up by its client order id. The drift the run leaves is computed from its fills
and the prices just read, by the same code path as a preview: no second reading.

Before the claim nothing is written but terminal refusals (a plan withdrawn), so a refusal
needs no undoing. Once an order may have gone out, no failure can turn into "nothing
changed": what is known is recorded (or left for reconciliation) and reported.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import structlog

from core.app.api import ExecutionReport, Progress
from core.app.lease import RECONCILE_LEASE, held_lease
from core.app.order_desk import OrderDesk
from core.app.progress import Reporter
from core.app.records import PlanRecord
from core.app.repositories import Store
from core.app.run import ExecutionDeps, Run
from core.domain.codec import content_hash, plan_from_dict
from core.domain.execution_rules import moved_prices
from core.domain.models import MarketData, Plan
from core.errors import ExecutionRefused

log = structlog.get_logger(__name__)
FRESH = "Nothing was placed: take a fresh plan."


class Execution:
    """One plan's execution for one user. Create, then `await run()`."""

    def __init__(
        self,
        deps: ExecutionDeps,
        plan_id: str,
        user_id: str,
        progress: Progress | None = None,
        trigger: str = "manual",
    ) -> None:
        self.deps, self.plan_id, self.user_id = deps, plan_id, user_id
        self.store, self.mode = deps.store, deps.settings.mode
        self.reporter = Reporter(progress)
        self.trigger = trigger

    async def run(self) -> ExecutionReport:
        record = self.store.claimable_plan(self.plan_id, self.user_id, self.deps.clock())
        self._refuse_if_other_mode(record)
        plan = self._verified_plan(record)
        async with held_lease(self.store, self.plan_id, self.deps.lease) as lease:
            if lease is None:
                raise self._busy()
            self._refuse_if_superseded(record)  # under the lease: no other run can start now
            self._refuse_if_config_changed(record)
            self._refuse_during_cooldown(self.deps.clock())
            market = await self._check_prices(plan, record)
            run_id = self._claim_and_start(plan, record)
            deps = self.deps
            desk = OrderDesk(
                deps.exchange,
                self.store,
                deps.clock,
                self.plan_id,
                self.mode,
                lease,
                sleep=deps.sleep,
            )
            return await Run(self.deps, self.reporter, desk, plan, run_id).execute(market)

    def _busy(self) -> ExecutionRefused:
        if self.store.lease_holder() == RECONCILE_LEASE:
            return ExecutionRefused(
                "Orders of an earlier run are being checked with the exchange right now; "
                "confirm again in a moment.",
                code="busy",
            )
        return ExecutionRefused(
            "Another rebalance is running right now; wait for its report.", code="busy"
        )

    def _withdraw(self, error: ExecutionRefused) -> ExecutionRefused:
        """End the pending plan (it can never pass this check again) and return the refusal."""
        self.store.withdraw_plan(self.plan_id)
        return error

    def _refuse_if_other_mode(self, record: PlanRecord) -> None:
        """A plan made in paper mode never trades live, nor a live plan on paper."""
        if record.mode == self.mode:
            return
        raise self._withdraw(
            ExecutionRefused(
                f"This plan was made in {record.mode} mode; the bot now runs in "
                f"{self.mode} mode. {FRESH}",
                code="other_mode",
                data={"plan_mode": record.mode, "mode": self.mode},
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
        run = self.store.superseding_run(record.runs_seen, self.mode)
        if run is None:
            return
        raise self._withdraw(
            ExecutionRefused(
                f"Another rebalance ran at {run.started_at:%H:%M} UTC, after this plan's "
                f"balances were read: its orders no longer fit them. {FRESH}",
                code="stale",
                data={"run_id": run.id, "started_at": run.started_at},
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
            self.store, self.deps.settings.cooldown_minutes, now, mode=self.mode
        )
        if refusal is not None:  # the plan stays pending: it may run once the cooldown ends
            raise refusal

    async def _check_prices(self, plan: Plan, record: PlanRecord) -> MarketData:
        """Fresh prices of every asset of the plan (one request: the traded ones are compared,
        all of them value the drift the run leaves); an exchange failure leaves the plan
        pending."""
        assets = sorted({x.asset for x in plan.lines} - {plan.quote_currency})
        market = await self.deps.exchange.market_data(assets, plan.quote_currency)
        traded = {o.asset for o in plan.orders}
        planned = {a: p for a, p in record.prices.items() if a in traded}
        tolerance = self.deps.settings.price_tolerance_pct
        moved = moved_prices(planned, market.quotes, tolerance)
        if not moved:
            return market
        raise self._withdraw(
            ExecutionRefused(
                f"Prices moved more than PRICE_DRIFT_TOLERANCE_PCT={tolerance}% since the plan "
                f"was made ({', '.join(moved)}). {FRESH}",
                code="prices_moved",
                data={"moved": moved, "tolerance_pct": tolerance},
            )
        )

    def _claim_and_start(self, plan: Plan, record: PlanRecord) -> int:
        """The claim and the run's start, as one: a claimed plan always has its run."""
        now = self.deps.clock()
        with self.store.unit_of_work() as uow:
            self.store.claim_plan(self.plan_id, self.user_id, now, record.config_version)
            run_id = self.store.start_run(
                self.plan_id,
                self.user_id,
                plan.max_drift_pct,
                now,
                mode=self.mode,
                trigger=self.trigger,
            )
            uow.commit()
        log.info("execution.started", plan_id=self.plan_id, run_id=run_id, orders=len(plan.orders))
        return run_id


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
        data={"last_run_at": last.started_at, "ends_at": ends, "minutes": minutes},
    )
