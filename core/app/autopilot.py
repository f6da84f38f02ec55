"""The autopilot use case: one scheduled check that alerts, proposes or executes.

`Autopilot.check(users)` reads a plan, lets `core.domain.autopilot.decide` say what to do,
keeps the band crossing in the key-value store, and then: proposes (a plan per user, each
with the usual single-use Confirm), or executes through exactly the path a Confirm press
takes (`Planning.execute`: claim, lease, journal, price guard), recorded as trigger
`autopilot`, for the autopilot's own plan, after the guards passed on that very plan.
Pause, resume and status live here too; their state is kept in the key-value store.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from core.app.admin import run_summary
from core.app.api import AutopilotCheck, AutopilotStatus, ExecutionReport, PreparedPlan, Progress
from core.app.records import JournalEntry, RunRecord
from core.app.settings import AppSettings
from core.domain.autopilot import (
    Action,
    Crossing,
    Decision,
    Facts,
    Guard,
    actionable,
    after_wait,
    day_start,
    decide,
    failed_guards,
)
from core.domain.models import Plan
from core.errors import ExecutionRefused, RebalanceError

log = structlog.get_logger(__name__)

AUTOPILOT_USER = "autopilot"  # owns the plans the autopilot executes
TRIGGER = "autopilot"  # what its runs record as their trigger
CROSSING_KEY = "autopilot.crossing"
PAUSED_KEY = "autopilot.paused"
LAST_CHECK_KEY = "autopilot.last_check"


class Planning(Protocol):
    """What the autopilot asks of the rebalancer: the same calls a front end makes."""

    async def scheduled_check(self) -> Plan: ...
    async def prepare_rebalance(self, user_id: str) -> PreparedPlan: ...
    async def execute(
        self,
        plan_id: str,
        user_id: str,
        progress: Progress | None = None,
        *,
        trigger: str = "manual",
    ) -> ExecutionReport: ...
    def cancel(self, plan_id: str, user_id: str) -> None: ...


class AutopilotStore(Protocol):
    """The store ports the autopilot reads and writes (a narrow view of `Store`)."""

    def kv_get(self, key: str) -> str | None: ...
    def kv_set(self, key: str, value: str, now: datetime) -> None: ...
    def last_executed_run(self, mode: str | None = None) -> RunRecord | None: ...
    def journal_unresolved(self, mode: str | None = None) -> list[JournalEntry]: ...
    def runs_started_since(self, since: datetime, *, mode: str, trigger: str) -> int: ...
    def history(self, n: int, mode: str | None = None) -> list[RunRecord]: ...


@dataclass(frozen=True)
class Pause:
    by: str
    at: datetime


class Autopilot:
    def __init__(
        self,
        planning: Planning,
        store: AutopilotStore,
        settings: AppSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.planning, self.store, self.settings, self.clock = planning, store, settings, clock
        self.mode = settings.autopilot.mode
        self.caps = settings.autopilot.caps

    # --- the scheduled check -----------------------------------------------------------
    async def check(self, users: Sequence[str]) -> AutopilotCheck:
        """One scheduled check; `users` get the proposals (each their own plan).

        The crossing is spent only once the proposals are made, or right before the run
        starts: a check that fails before (an exchange read) leaves it to the next check.
        """
        plan = await self.planning.scheduled_check()
        now = self.clock()
        self.note_check(now)
        facts = self.facts(now)
        before = self.crossing()
        decision = decide(self.mode, plan, self.caps, before, facts)
        if decision.action in (Action.NOTHING, Action.WAIT):
            self._keep(decision.crossing, now)
        try:
            return await self._act(decision, plan, users, facts)
        except ExecutionRefused as e:  # a plan could not be prepared or run: wait, tell once
            return self._wait_on_refusal(before, plan, e, facts)

    async def _act(
        self, decision: Decision, plan: Plan, users: Sequence[str], facts: Facts
    ) -> AutopilotCheck:
        outcome = self._outcome(decision.action, plan, facts, decision.guards)
        if decision.action is Action.WAIT:
            return replace(outcome, tell=decision.tell)
        if decision.action is Action.PROPOSE:
            proposals = await self._propose(users, decision.crossing)
            return replace(outcome, proposals=proposals)
        if decision.action is Action.EXECUTE:
            return await self._execute(users, facts, decision.crossing)
        return outcome

    async def _propose(self, users: Sequence[str], spent: Crossing) -> tuple[PreparedPlan, ...]:
        """A plan per user, each confirmable by that user only; none that is not due."""
        proposals = []
        for user in users:
            prepared = await self.planning.prepare_rebalance(user)
            if actionable(prepared.plan):
                proposals.append(prepared)
            else:
                self._withdraw(prepared)
        self._keep(spent, self.clock())
        return tuple(proposals)

    async def _execute(self, users: Sequence[str], facts: Facts, spent: Crossing) -> AutopilotCheck:
        """The autopilot's own plan, checked against the guards, then run like a Confirm."""
        prepared = await self.planning.prepare_rebalance(AUTOPILOT_USER)
        plan = prepared.plan
        if not actionable(plan):  # back in band since the check a moment ago: next check
            self._withdraw(prepared)
            return self._outcome(Action.NOTHING, plan, facts)
        guards = failed_guards(plan, self.caps, facts)
        if guards:  # this plan, not the one checked, is what would trade
            self._withdraw(prepared)
            proposals = await self._propose(users, spent)
            return replace(self._outcome(Action.PROPOSE, plan, facts, guards), proposals=proposals)
        self._keep(spent, self.clock())  # before the run: whatever happens, never run twice
        return await self._run(prepared, facts)

    async def _run(self, prepared: PreparedPlan, facts: Facts) -> AutopilotCheck:
        outcome = self._outcome(Action.EXECUTE, prepared.plan, facts)
        log.info("autopilot.execute", plan_id=prepared.plan_id, orders=len(prepared.plan.orders))
        try:
            report = await self.planning.execute(prepared.plan_id, AUTOPILOT_USER, trigger=TRIGGER)
        except ExecutionRefused:  # nothing was placed: withdrawn, and tried again next check
            self._withdraw(prepared)
            raise
        except RebalanceError as e:  # the run failed: reported as such, never retried
            log.warning("autopilot.failed", error_type=type(e).__name__, error=str(e))
            return replace(outcome, failure=e)
        return replace(outcome, report=report)

    def _wait_on_refusal(
        self, before: Crossing, plan: Plan, error: ExecutionRefused, facts: Facts
    ) -> AutopilotCheck:
        log.info("autopilot.refused", code=error.code)
        decision = after_wait(before, error.code)
        self._keep(decision.crossing, self.clock())
        outcome = self._outcome(Action.WAIT, plan, facts)
        return replace(outcome, refusal=error, tell=decision.tell)

    def _withdraw(self, prepared: PreparedPlan) -> None:
        with contextlib.suppress(ExecutionRefused):
            self.planning.cancel(prepared.plan_id, prepared.user_id)

    def _outcome(
        self, action: Action, plan: Plan, facts: Facts, guards: tuple[Guard, ...] = ()
    ) -> AutopilotCheck:
        return AutopilotCheck(
            action=action,
            plan=plan,
            guards=guards,
            max_trade_value=self.caps.max_trade_value,
            max_runs_per_day=self.caps.max_runs_per_day,
            runs_today=facts.runs_today,
            cooldown_ends_at=facts.cooldown_ends_at,
        )

    # --- what a check knows ---------------------------------------------------------------
    def facts(self, now: datetime) -> Facts:
        mode = self.settings.mode
        return Facts(
            paused=self.paused() is not None,
            runs_today=self.runs_today(now),
            cooldown_ends_at=self.cooldown_ends_at(),
            unresolved=bool(self.store.journal_unresolved(mode)),
            now=now,
        )

    def runs_today(self, now: datetime) -> int:
        since = day_start(now)
        return self.store.runs_started_since(since, mode=self.settings.mode, trigger=TRIGGER)

    def cooldown_ends_at(self) -> datetime | None:
        minutes = self.settings.cooldown_minutes
        last = self.store.last_executed_run(mode=self.settings.mode)
        if last is None or minutes <= 0:
            return None
        return last.started_at + timedelta(minutes=minutes)

    def crossing(self) -> Crossing:
        data = _json(self.store.kv_get(CROSSING_KEY))
        return Crossing(armed=bool(data.get("armed", True)), told=str(data.get("told", "")))

    def _keep(self, crossing: Crossing, now: datetime) -> None:
        if crossing != self.crossing():
            value = json.dumps({"armed": crossing.armed, "told": crossing.told})
            self.store.kv_set(CROSSING_KEY, value, now)

    def note_check(self, now: datetime) -> None:
        """Record that a scheduled check ran now (the status's next check time follows)."""
        self.store.kv_set(LAST_CHECK_KEY, now.isoformat(), now)

    def last_check(self) -> datetime | None:
        text = self.store.kv_get(LAST_CHECK_KEY)
        return datetime.fromisoformat(text) if text else None

    # --- pause and resume ------------------------------------------------------------------
    def paused(self) -> Pause | None:
        data = _json(self.store.kv_get(PAUSED_KEY))
        if not data:
            return None
        return Pause(str(data.get("by", "")), datetime.fromisoformat(str(data["at"])))

    def pause(self, user_id: str) -> bool:
        """Hold automatic runs until resumed (kept in the database); False if already paused."""
        if self.paused() is not None:
            return False
        now = self.clock()
        self.store.kv_set(PAUSED_KEY, json.dumps({"by": user_id, "at": now.isoformat()}), now)
        log.info("autopilot.paused", user_id=user_id)
        return True

    def resume(self, user_id: str) -> bool:
        """Allow automatic runs again; the current crossing counts afresh. False if not paused."""
        if self.paused() is None:
            return False
        now = self.clock()
        self.store.kv_set(PAUSED_KEY, "", now)
        self._keep(Crossing(), now)
        log.info("autopilot.resumed", user_id=user_id)
        return True

    # --- status ----------------------------------------------------------------------------
    def status(self) -> AutopilotStatus:
        """Mode, pause, strategy, the next check, the last run and the caps."""
        now, pause, last_check = self.clock(), self.paused(), self.last_check()
        interval = self.settings.autopilot.check_interval_minutes
        last_runs = self.store.history(1, mode=self.settings.mode)
        return AutopilotStatus(
            mode=self.mode.value,
            paused=pause is not None,
            paused_by=None if pause is None else pause.by,
            paused_at=None if pause is None else pause.at,
            strategy=self.settings.plan.rebalance_to.label,
            check_interval_minutes=interval,
            last_check_at=last_check,
            next_check_at=None if last_check is None else last_check + timedelta(minutes=interval),
            last_run=run_summary(last_runs[0]) if last_runs else None,
            max_trade_value=self.caps.max_trade_value,
            max_runs_per_day=self.caps.max_runs_per_day,
            runs_today=self.runs_today(now),
            cooldown_ends_at=self.cooldown_ends_at(),
            quote_currency=self.settings.quote,
        )


def _json(text: str | None) -> dict[str, object]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
