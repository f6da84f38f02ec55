"""The contract between the core and its front ends: the `Api` Protocol and what it returns
(frozen dataclasses, no I/O, no SQL). Refusals and errors come as `core.errors` exceptions
carrying a stable `code`; front ends word them in their own terms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from core.app.position_results import BasisResult, CsvRows, LedgerFigures, PositionsReport
from core.domain.autopilot import Action, Guard
from core.domain.models import ZERO, Plan, Side, SkippedOrder
from core.domain.statuses import OrderStatus, RunOutcome
from core.errors import ExecutionRefused, RebalanceError


@dataclass(frozen=True)
class PreparedPlan:
    """A stored plan awaiting confirmation by the user who asked for it."""

    plan_id: str
    user_id: str
    plan: Plan
    expires_at: datetime


@dataclass(frozen=True)
class OrderOutcome:
    """One order of an execution, as it ended (or as far as is known)."""

    client_order_id: str
    asset: str
    symbol: str
    side: Side
    requested: Decimal
    filled: Decimal
    average_price: Decimal | None
    cost: Decimal
    fee: Decimal
    status: OrderStatus  # filled, partial, rejected, unknown, ...
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OrderStatus.FILLED

    @property
    def unresolved(self) -> bool:
        """Its outcome is not known yet: it may have been placed (checked again later)."""
        return OrderStatus(self.status).unresolved


@dataclass(frozen=True)
class ExecutionReport:
    plan_id: str
    run_id: int
    outcome: RunOutcome
    orders: tuple[OrderOutcome, ...]
    skipped: tuple[SkippedOrder, ...]
    drift_before: Decimal
    drift_after: Decimal | None
    started_at: datetime
    finished_at: datetime
    quote_currency: str
    dropped: tuple[SkippedOrder, ...] = ()  # planned buys the re-sizing left out, and why
    problem: str = ""  # "" or what stopped the run after orders went out: storage, internal
    problem_detail: str = ""  # the failure in one line (no secrets: core messages carry none)

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def succeeded(self) -> int:
        return sum(1 for o in self.orders if o.ok)

    @property
    def failed(self) -> int:
        return len(self.orders) - self.succeeded - self.unresolved

    @property
    def unresolved(self) -> int:
        """Orders whose outcome is not known yet."""
        return sum(1 for o in self.orders if o.unresolved)

    @property
    def traded_value(self) -> Decimal:
        return sum((o.cost for o in self.orders), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((o.fee for o in self.orders), ZERO)


@dataclass(frozen=True)
class LockInfo:
    symbol: str
    locked_by: str
    locked_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """One past rebalance and its orders."""

    run_id: int
    plan_id: str
    user_id: str
    started_at: datetime
    outcome: RunOutcome
    drift_before: Decimal
    drift_after: Decimal | None
    traded_value: Decimal
    fees: Decimal
    duration_s: float
    orders: tuple[OrderOutcome, ...] = ()
    trigger: str = "manual"  # what started it: manual, autopilot (later api)


@dataclass(frozen=True)
class Stats:
    runs_by_outcome: Mapping[str, int]
    total_traded: Decimal
    total_fees: Decimal
    avg_drift_before: Decimal | None
    avg_drift_after: Decimal | None
    volume_by_asset: Mapping[str, Decimal]
    last_run: RunSummary | None
    cooldown_ends_at: datetime | None
    locks: tuple[LockInfo, ...]
    quote_currency: str
    drift_series: tuple[tuple[datetime, Decimal, Decimal | None], ...] = field(default=())
    runs_by_trigger: Mapping[str, int] = field(default_factory=dict)  # manual, autopilot, ...
    ledger: LedgerFigures | None = None  # per month, and fees against value (positions)

    @property
    def runs(self) -> int:
        return sum(self.runs_by_outcome.values())


@dataclass(frozen=True)
class DriftAlert:
    """A rebalance became due: tell the users once, until the portfolio is back in band."""

    plan: Plan


# --- Autopilot (core.app.autopilot) ---------------------------------------------------
@dataclass(frozen=True)
class AutopilotCheck:
    """What one scheduled autopilot check did, for the front end to tell every allowed user.

    `action` NOTHING: nothing to say. PROPOSE: `proposals` (one per user, each with its own
    Confirm) and, in `auto`, the `guards` that held the automatic run. EXECUTE: the run's
    `report`, or the `failure` that stopped it. WAIT: held by `guards` (a cooldown, orders of
    unknown outcome) or by an execution `refusal`; `tell` is False when already told.
    """

    action: Action
    plan: Plan | None = None
    guards: tuple[Guard, ...] = ()
    proposals: tuple[PreparedPlan, ...] = ()
    report: ExecutionReport | None = None
    failure: RebalanceError | None = None
    refusal: ExecutionRefused | None = None
    tell: bool = False
    max_trade_value: Decimal | None = None
    max_runs_per_day: int = 0
    runs_today: int = 0
    cooldown_ends_at: datetime | None = None


@dataclass(frozen=True)
class AutopilotStatus:
    """The autopilot as it stands: mode, pause, strategy, next check, last run, caps."""

    mode: str  # off, propose, auto
    paused: bool
    paused_by: str | None
    paused_at: datetime | None
    strategy: str  # REBALANCE_TO as written
    check_interval_minutes: int
    last_check_at: datetime | None
    next_check_at: datetime | None  # None until a running bot has checked once
    last_run: RunSummary | None
    max_trade_value: Decimal | None
    max_runs_per_day: int
    runs_today: int  # automatic runs started this UTC day
    cooldown_ends_at: datetime | None
    quote_currency: str


Progress = Callable[[OrderOutcome], Awaitable[None]]  # told how each order ended


class Api(Protocol):
    """What every front end may ask of the core (implemented by `core.app.rebalancer.Rebalancer`;
    tests hand front ends a fake of the same shape). Front ends type against this alone."""

    @property
    def mode(self) -> str: ...
    @property
    def quote(self) -> str: ...
    async def check(self) -> Plan: ...
    async def preview(self) -> Plan: ...
    async def prepare_rebalance(self, user_id: str) -> PreparedPlan: ...
    async def execute(
        self, plan_id: str, user_id: str, progress: Progress | None = None
    ) -> ExecutionReport: ...
    def cancel(self, plan_id: str, user_id: str) -> None: ...
    def plan_owner(self, plan_id: str) -> str | None: ...
    def plan_confirmable(self, plan_id: str) -> bool: ...
    async def reconcile(self) -> tuple[OrderOutcome, ...]: ...
    async def lock(self, symbol: str, user_id: str, reason: str | None = None) -> bool: ...
    def unlock(self, symbol: str) -> bool: ...
    def unlock_all(self) -> int: ...
    def locked(self) -> tuple[LockInfo, ...]: ...
    def targets(self) -> dict[str, Decimal]: ...
    async def set_targets(self, spec: str) -> dict[str, Decimal]: ...
    def stats(self) -> Stats: ...
    def history(self, n: int = 10) -> tuple[RunSummary, ...]: ...
    async def poll_drift(self) -> DriftAlert | None: ...
    def note_check_failure(self) -> bool: ...
    def alerts_enabled(self, user_id: str) -> bool: ...
    def set_alerts(self, user_id: str, enabled: bool) -> None: ...
    def heartbeat(self) -> None: ...
    # Autopilot: the scheduled check when AUTOPILOT is propose or auto, pause and status.
    async def autopilot_check(self, users: Sequence[str]) -> AutopilotCheck: ...
    def pause_autopilot(self, user_id: str) -> bool: ...
    def resume_autopilot(self, user_id: str) -> bool: ...
    def autopilot_status(self) -> AutopilotStatus: ...

    # --- Positions (core.app.positions) ------------------------------------------------
    async def positions(self) -> PositionsReport:
        """Every position from real fills at live prices (one balance, one ticker request)."""
        ...

    async def set_basis(self, symbol: str, price: str) -> BasisResult:
        """State what `symbol`'s opening lot cost; InputError for a bad symbol or price."""
        ...

    def export_fills(self, since: date | None = None) -> CsvRows:
        """The fills CSV: header, then one row per fill of the current mode."""
        ...

    async def export_lots(self) -> CsvRows:
        """The lots CSV: open lots, then every realized match (and withdrawal, shortfall)."""
        ...
