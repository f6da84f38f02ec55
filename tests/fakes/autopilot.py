"""In-memory fakes of the autopilot's ports (core.app.autopilot.Planning, AutopilotStore)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.app.api import ExecutionReport, PreparedPlan, Progress
from core.app.records import JournalEntry, RunRecord
from core.domain.models import Plan
from core.domain.statuses import RunOutcome
from core.errors import ExecutionRefused, RebalanceError
from tests.fakes.clocks import FakeClock


@dataclass
class FakeAutopilotStore:
    """The key-value store and the runs, in memory."""

    kv: dict[str, str] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)
    unresolved: list[JournalEntry] = field(default_factory=list)

    def kv_get(self, key: str) -> str | None:
        return self.kv.get(key)

    def kv_set(self, key: str, value: str, now: datetime) -> None:
        self.kv[key] = value

    def last_executed_run(self, mode: str | None = None) -> RunRecord | None:
        return max(self._of(mode), key=lambda r: r.started_at, default=None)

    def journal_unresolved(self, mode: str | None = None) -> list[JournalEntry]:
        return list(self.unresolved)

    def runs_started_since(self, since: datetime, *, mode: str, trigger: str) -> int:
        return sum(1 for r in self._of(mode) if r.trigger == trigger and r.started_at >= since)

    def history(self, n: int, mode: str | None = None) -> list[RunRecord]:
        newest = sorted(self._of(mode), key=lambda r: r.started_at, reverse=True)
        return newest[:n]

    def _of(self, mode: str | None) -> list[RunRecord]:
        return [r for r in self.runs if mode is None or r.mode == mode]

    def add_run(self, started_at: datetime, trigger: str = "manual") -> RunRecord:
        run = RunRecord(
            id=len(self.runs) + 1,
            plan_id=f"p{len(self.runs) + 1}",
            user_id=trigger,
            started_at=started_at,
            finished_at=started_at,
            outcome=RunOutcome.FULL,
            drift_before=Decimal(30),
            drift_after=Decimal(1),
            traded_value=Decimal(100),
            fees=Decimal("0.4"),
            duration_s=1.0,
            orders_ok=1,
            orders_failed=0,
            orders_skipped=0,
            note="",
            trigger=trigger,
        )
        self.runs.append(run)
        return run


@dataclass
class FakePlanning:
    """The rebalancer as the autopilot sees it: plans from `plan`, runs recorded in `store`."""

    plan: Plan
    store: FakeAutopilotStore
    clock: FakeClock
    prepared_plan: Plan | None = None  # what prepare_rebalance plans, when not `plan`
    refusal: ExecutionRefused | None = None  # execute() refuses with this
    failure: Exception | None = None  # execute() fails with this (after the run started)
    prepare_failure: RebalanceError | None = None  # prepare_rebalance() fails with this, once
    prepared: list[PreparedPlan] = field(default_factory=list)
    cancelled: list[tuple[str, str]] = field(default_factory=list)
    executed: list[tuple[str, str, str]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    async def scheduled_check(self) -> Plan:
        return self.plan

    async def prepare_rebalance(self, user_id: str) -> PreparedPlan:
        if self.prepare_failure is not None:
            failure, self.prepare_failure = self.prepare_failure, None
            raise failure
        plan = self.prepared_plan or self.plan
        prepared = PreparedPlan(f"plan{next(self._ids)}", user_id, plan, self.clock())
        self.prepared.append(prepared)
        return prepared

    async def execute(
        self,
        plan_id: str,
        user_id: str,
        progress: Progress | None = None,
        *,
        trigger: str = "manual",
    ) -> ExecutionReport:
        if self.refusal is not None:
            raise self.refusal
        self.executed.append((plan_id, user_id, trigger))
        run = self.store.add_run(self.clock(), trigger)
        if self.failure is not None:
            raise self.failure
        return report(plan_id, run.id, self.clock())

    def cancel(self, plan_id: str, user_id: str) -> None:
        self.cancelled.append((plan_id, user_id))

    def owners(self) -> list[str]:
        return [p.user_id for p in self.prepared]


def report(plan_id: str, run_id: int, now: datetime) -> ExecutionReport:
    return ExecutionReport(
        plan_id=plan_id,
        run_id=run_id,
        outcome=RunOutcome.FULL,
        orders=(),
        skipped=(),
        drift_before=Decimal(30),
        drift_after=Decimal(1),
        started_at=now,
        finished_at=now,
        quote_currency="EUR",
    )
