"""The facade every front end calls (CLI and Telegram bot). Transport-neutral.

It returns domain dataclasses and raises only `core.errors` exceptions. Front ends parse,
call one method, render the result and reply; they never reach the exchange or the store.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import structlog

from core.app import admin, drift_alerts
from core.app.api import (
    AutopilotCheck,
    AutopilotStatus,
    DriftAlert,
    ExecutionReport,
    LockInfo,
    OrderOutcome,
    PreparedPlan,
    Progress,
    RunSummary,
    Stats,
)
from core.app.autopilot import Autopilot
from core.app.execution import Execution, cooldown_refusal
from core.app.instance import BotInstance
from core.app.lease import RECONCILE_LEASE, LeaseTerms, held_lease
from core.app.maker_ports import MakerStore
from core.app.maker_recovery import reconcile_maker_orders
from core.app.meter import CallMeter, ExchangeCalls
from core.app.ports import MakerExchange
from core.app.position_results import BasisResult, CsvRows, PositionsReport
from core.app.positions import PositionTracker
from core.app.reading import PlanReader, Reading
from core.app.records import LeaseOwner, PlanRecord
from core.app.recovery import finish_interrupted_runs, reconcile_orders
from core.app.run import ExecutionDeps
from core.app.settings import AppSettings
from core.domain.codec import content_hash, plan_to_dict
from core.domain.models import Plan
from core.domain.statuses import PlanStatus
from core.errors import StorageError

log = structlog.get_logger(__name__)

HEARTBEAT_KEY = "bot.heartbeat"


class Rebalancer:
    """Check, preview, and (see `core.app.execution`) rebalance one exchange account."""

    def __init__(
        self,
        settings: AppSettings,
        exchange: MakerExchange,
        store: MakerStore,
        clock: Callable[[], datetime],
        lease_terms: LeaseTerms | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        meter: CallMeter | None = None,
        instance: BotInstance | None = None,
    ) -> None:
        self.settings = settings
        self.exchange = exchange
        self.store = store
        self.clock = clock
        self.sleep = sleep  # how maker-first execution waits between polls (tests move a clock)
        self.lease_terms = lease_terms or LeaseTerms(
            owner=LeaseOwner("", 0, "", secrets.token_hex(8)),
            stale_seconds=settings.lease_stale_seconds,
        )
        self.reader = PlanReader(exchange, store, settings, clock)
        self.meter = meter or CallMeter()
        self.instance = instance  # set when this process is the database's bot
        self.autopilot = Autopilot(self, store, settings, clock)
        self.tracker = PositionTracker(
            store, self.reader, exchange, mode=settings.mode, quote=self.quote, clock=clock
        )

    @property
    def mode(self) -> str:
        return self.settings.mode

    @property
    def quote(self) -> str:
        return self.settings.plan.quote_currency

    async def check(self) -> Plan:
        """Current allocation against the targets, drift per asset, and whether it is due."""
        return await self.preview()

    async def preview(self) -> Plan:
        """The exact orders a rebalance would place now, and what is skipped and why."""
        return (await self.reader.read()).plan

    # --- Execution (core.app.execution) -------------------------------------------------
    async def prepare_rebalance(self, user_id: str) -> PreparedPlan:
        """Compute the plan, store it for `user_id`, and return its id and expiry.

        Refused at once (ExecutionRefused "cooldown") when the cooldown outlasts the plan's
        time to confirm: a plan that could never be confirmed is not worth showing.
        """
        ttl = timedelta(seconds=self.settings.confirm_ttl_seconds)
        refusal = cooldown_refusal(
            self.store, self.settings.cooldown_minutes, self.clock() + ttl, mode=self.mode
        )
        if refusal is not None:
            raise refusal
        reading = await self.reader.read()
        plan, now = reading.plan, self.clock()
        expires = now + timedelta(seconds=self.settings.confirm_ttl_seconds)
        record = PlanRecord(
            id=secrets.token_urlsafe(12),
            user_id=user_id,
            created_at=now,
            expires_at=expires,
            content_hash=content_hash(plan),
            prices=traded_prices(plan),
            payload_json=json.dumps(plan_to_dict(plan)),
            mode=self.mode,
            read_at=reading.read_at,
            runs_seen=reading.basis.runs_seen,
            config_version=reading.basis.config_version,
        )
        self.store.add_plan(record)
        return PreparedPlan(record.id, user_id, plan, expires)

    async def execute(
        self,
        plan_id: str,
        user_id: str,
        progress: Progress | None = None,
        *,
        trigger: str = "manual",
    ) -> ExecutionReport:
        """Run a stored plan at most once, for its owner, before expiry; raises ExecutionRefused.
        `trigger` is what the run records as having started it (manual, autopilot)."""
        await self.reconcile()
        return await Execution(self._deps(), plan_id, user_id, progress, trigger).run()

    def _deps(self) -> ExecutionDeps:
        return ExecutionDeps(
            self.exchange,
            self.store,
            self.clock,
            self.settings,
            self.lease_terms,
            self.reader,
            self.sleep,
        )

    def plan_owner(self, plan_id: str) -> str | None:
        """Who prepared `plan_id` (None if there is no such plan). Reads only."""
        record = self.store.get_plan(plan_id)
        return None if record is None else record.user_id

    def plan_confirmable(self, plan_id: str) -> bool:
        """Whether the owner of `plan_id` may still confirm it (pending, unexpired): what a
        front end asks after a refusal or failure, to keep or remove the buttons."""
        record = self.store.get_plan(plan_id)
        return (
            record is not None
            and record.status is PlanStatus.PENDING
            and record.expires_at > self.clock()
        )

    def cancel(self, plan_id: str, user_id: str) -> None:
        """Mark a pending plan cancelled (owner only); raises ExecutionRefused otherwise."""
        self.store.cancel_plan(plan_id, user_id)

    async def reconcile(self) -> tuple[OrderOutcome, ...]:
        """Resolve journal entries left unresolved (a crash, a lost answer) by asking the
        exchange. Skipped while another execution holds the account lease."""
        if not (self.store.journal_unresolved(self.mode) or self.store.unfinished_runs(self.mode)):
            return ()
        async with held_lease(self.store, RECONCILE_LEASE, self.lease_terms) as lease:
            if lease is None:
                return ()
            outcomes = await reconcile_orders(self.exchange, self.store, self.clock, self.mode)
            outcomes = await reconcile_maker_orders(  # resting maker-first orders: cancelled
                self.exchange, self.store, self.clock, self.mode, lease, outcomes
            )
            finish_interrupted_runs(self.store, self.clock(), self.mode)
            return tuple(outcomes)

    # --- Locks, targets, stats ---------------------------------------------------------
    async def lock(self, symbol: str, user_id: str, reason: str | None = None) -> bool:
        """Freeze `symbol`; False if it was already locked. InputError for an unknown symbol."""
        symbol = admin.normalize_symbol(symbol)
        await admin.check_tradable(self.exchange, symbol, self.quote)
        return self.store.lock(symbol, user_id, self.clock(), reason)  # withdraws pending plans

    def unlock(self, symbol: str) -> bool:
        """Unfreeze `symbol`; False if it was not locked."""
        return self.store.unlock(admin.normalize_symbol(symbol))

    def unlock_all(self) -> int:
        return self.store.unlock_all()

    def locked(self) -> tuple[LockInfo, ...]:
        return tuple(self.store.locks())

    def targets(self) -> dict[str, Decimal]:
        return self.store.get_targets()

    async def set_targets(self, spec: str) -> dict[str, Decimal]:
        """Validate and store `BTC=50,ETH=30,SOL=20`; InputError changes nothing."""
        weights = await admin.validated_targets(self.exchange, spec, self.quote)
        self.store.set_targets(weights, self.clock())  # withdraws pending plans with it
        return self.store.get_targets()

    def stats(self) -> Stats:
        """Over the runs of the current mode only (paper runs never count as live ones)."""
        found = admin.stats(self.store, self.quote, self.settings.cooldown_minutes, self.mode)
        stats = replace(found, ledger=self.tracker.figures())
        maker = self.store.maker_totals(self.mode)  # maker-first orders: the fee saved
        if maker.filled_value <= 0:
            return stats
        return replace(stats, maker_share=maker.maker_share, fee_saved=maker.fee_saved)

    def history(self, n: int = 10) -> tuple[RunSummary, ...]:
        """The last `n` runs of the current mode, newest first."""
        return tuple(admin.run_summary(r) for r in self.store.history(n, mode=self.mode))

    # --- Alerts --------------------------------------------------------------------------
    async def poll_drift(self) -> DriftAlert | None:
        """An alert when a rebalance has become due; None while already alerted or in band."""
        plan = await self.scheduled_check()
        self.autopilot.note_check(self.clock())
        return drift_alerts.after_check(self.store, plan, self.clock())

    async def scheduled_check(self) -> Plan:
        """The scheduled check's reading (drift alerts and the autopilot alike): its plan,
        with a value sample and a ledger sync taken from it on the way."""
        reading = await self.reader.read()
        self._observe(reading)
        return reading.plan

    def _observe(self, reading: Reading) -> None:
        """A value sample and a ledger sync from a scheduled check: extras beside the alert,
        so a failure is logged and the alert still goes out."""
        try:
            self.tracker.observe(reading)
        except StorageError as e:
            log.warning("positions.observe_failed", error=str(e))
        except Exception:  # a bug in the extras must not swallow the alert
            log.exception("positions.observe_bug")

    def note_check_failure(self) -> bool:
        """Count a failed scheduled check; True exactly once, when users should be told."""
        return drift_alerts.after_failure(self.store, self.clock())

    def alerts_enabled(self, user_id: str) -> bool:
        return self.store.alerts_enabled(user_id)

    def set_alerts(self, user_id: str, enabled: bool) -> None:
        self.store.set_alerts(user_id, enabled)

    # --- Autopilot (core.app.autopilot) -------------------------------------------------
    async def autopilot_check(self, users: Sequence[str]) -> AutopilotCheck:
        """The scheduled check under AUTOPILOT=propose|auto: propose or execute, once per
        band crossing, behind the caps; `users` get the proposals."""
        return await self.autopilot.check(users)

    def pause_autopilot(self, user_id: str) -> bool:
        return self.autopilot.pause(user_id)

    def resume_autopilot(self, user_id: str) -> bool:
        return self.autopilot.resume(user_id)

    def autopilot_status(self) -> AutopilotStatus:
        return self.autopilot.status()

    def heartbeat(self) -> None:
        """Record that the bot is alive (read by `rebalance-bot healthcheck`); for the
        database's bot, OperationRefused `instance_running` if another bot took over."""
        now = self.clock()
        self.store.kv_set(HEARTBEAT_KEY, now.isoformat(), now)
        if self.instance is not None:
            self.instance.beat()

    # --- Positions (core.app.positions) -----------------------------------------------------
    async def positions(self) -> PositionsReport:
        """Every position from real fills, at live prices; syncs the lots with the balance."""
        return await self.tracker.report()

    async def set_basis(self, symbol: str, price: str) -> BasisResult:
        """The owner's price for `symbol`'s opening lot (no longer estimated)."""
        return await self.tracker.set_basis(symbol, price)

    def export_fills(self, since: date | None = None) -> CsvRows:
        return self.tracker.export_fills(since)

    async def export_lots(self) -> CsvRows:
        return await self.tracker.export_lots()

    # --- Read by the HTTP API --------------------------------------------------------------
    def plan_hash(self, plan_id: str) -> str | None:
        """The content hash `plan_id` was stored with (None if there is no such plan)."""
        record = self.store.get_plan(plan_id)
        return None if record is None else record.content_hash

    def run(self, run_id: int) -> RunSummary | None:
        """One run of the current mode with its orders; None if there is none."""
        found = [r for r in self.store.runs_by_id([run_id]) if r.mode == self.mode]
        return admin.run_summary(found[0]) if found else None

    def last_heartbeat(self) -> datetime | None:
        """When the running bot last recorded that it is alive (reads the database)."""
        beat = self.store.kv_get(HEARTBEAT_KEY)
        return None if beat is None else datetime.fromisoformat(beat)

    def exchange_calls(self) -> ExchangeCalls:
        """Requests this process sent the exchange, and its errors by kind."""
        return self.meter.snapshot()


def traded_prices(plan: Plan) -> dict[str, Decimal]:
    """The valuation prices of the assets the plan trades: what execution compares with."""
    traded = {o.asset for o in plan.orders}
    return {x.asset: x.price for x in plan.lines if x.asset in traded and x.price is not None}
