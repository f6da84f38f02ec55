"""The facade every front end calls (CLI and Telegram bot). Transport-neutral.

It returns domain dataclasses and raises only `core.errors` exceptions. Front ends parse,
call one method, render the result and reply; they never reach the exchange or the store.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import structlog

from core import admin, alerts
from core.domain.codec import content_hash, plan_to_dict
from core.domain.models import Plan, PlanSettings
from core.domain.planner import make_plan
from core.domain.statuses import PlanStatus
from core.execution import Execution, Progress, cooldown_refusal
from core.lease import LeaseTerms, held_lease
from core.portfolio import held_assets, read_portfolio
from core.ports import Exchange
from core.process import predecessor_is_dead, this_process
from core.recovery import finish_interrupted_runs, reconcile_orders
from core.results import (
    DriftAlert,
    ExecutionReport,
    LockInfo,
    OrderOutcome,
    PreparedPlan,
    RunSummary,
    Stats,
)
from core.store.records import PlanBasis, PlanRecord
from core.store.repo import Store

log = structlog.get_logger(__name__)
RECONCILE_LEASE = "reconcile"

HELD_KEY = "held_assets"
HEARTBEAT_KEY = "bot.heartbeat"


@dataclass(frozen=True)
class FacadeSettings:
    """What the facade needs from Settings, already parsed."""

    mode: str  # "paper" or "live"
    plan: PlanSettings
    confirm_ttl_seconds: int = 120
    cooldown_minutes: int = 60
    price_tolerance_pct: Decimal = Decimal(1)
    lease_stale_seconds: int = 300  # a lease not refreshed for this long belonged to a dead process


class Rebalancer:
    """Check, preview, and (see `core.execution`) rebalance one exchange account."""

    def __init__(
        self,
        settings: FacadeSettings,
        exchange: Exchange,
        store: Store,
        clock: Callable[[], datetime],
        lease_terms: LeaseTerms | None = None,
    ) -> None:
        self.settings = settings
        self.exchange = exchange
        self.store = store
        self.clock = clock
        self.lease_terms = lease_terms or LeaseTerms(
            owner=this_process(),
            stale_seconds=settings.lease_stale_seconds,
            is_dead=predecessor_is_dead,
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
        return (await self._read_plan()).plan

    async def _read_plan(self) -> _Reading:
        """The plan from the store's targets and locks (read first, as one view) and the
        exchange's balances and prices, with the moment the reading started."""
        read_at = self.clock()
        basis = self.store.plan_basis()
        locked = frozenset(lock.symbol for lock in basis.locks)
        assets = set(basis.targets) | locked | self._remembered_holdings()
        portfolio = await read_portfolio(self.exchange, assets, self.quote)
        self._remember_holdings(held_assets(portfolio))
        plan = make_plan(portfolio, basis.targets, locked, self.settings.plan, self.clock())
        return _Reading(basis, read_at, plan)

    def _remembered_holdings(self) -> frozenset[str]:
        """Assets held last time, so unmanaged holdings get priced in the same request."""
        text = self.store.kv_get(HELD_KEY) or ""
        return frozenset(a for a in text.split(",") if a)

    def _remember_holdings(self, held: frozenset[str]) -> None:
        if held != self._remembered_holdings():
            self.store.kv_set(HELD_KEY, ",".join(sorted(held)), self.clock())

    # --- Execution (core.execution) -------------------------------------------------
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
        reading = await self._read_plan()
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
        self, plan_id: str, user_id: str, progress: Progress | None = None
    ) -> ExecutionReport:
        """Run a stored plan at most once, for its owner, before expiry; raises ExecutionRefused."""
        await self.reconcile()
        return await Execution(self, plan_id, user_id, progress).run()

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
        return admin.stats(self.store, self.quote, self.settings.cooldown_minutes, self.mode)

    def history(self, n: int = 10) -> tuple[RunSummary, ...]:
        """The last `n` runs of the current mode, newest first."""
        return tuple(admin.run_summary(r) for r in self.store.history(n, mode=self.mode))

    # --- Alerts --------------------------------------------------------------------------
    async def poll_drift(self) -> DriftAlert | None:
        """An alert when a rebalance has become due; None while already alerted or in band."""
        return alerts.after_check(self.store, await self.check(), self.clock())

    def note_check_failure(self) -> bool:
        """Count a failed scheduled check; True exactly once, when users should be told."""
        return alerts.after_failure(self.store, self.clock())

    def alerts_enabled(self, user_id: str) -> bool:
        return self.store.alerts_enabled(user_id)

    def set_alerts(self, user_id: str, enabled: bool) -> None:
        self.store.set_alerts(user_id, enabled)

    def heartbeat(self) -> None:
        """Record that the bot is alive (read by `rebalance-bot healthcheck`)."""
        now = self.clock()
        self.store.kv_set(HEARTBEAT_KEY, now.isoformat(), now)


@dataclass(frozen=True)
class _Reading:
    basis: PlanBasis
    read_at: datetime
    plan: Plan


def traded_prices(plan: Plan) -> dict[str, Decimal]:
    """The valuation prices of the assets the plan trades: what execution compares with."""
    traded = {o.asset for o in plan.orders}
    return {x.asset: x.price for x in plan.lines if x.asset in traded and x.price is not None}
