"""What the store hands to the rest of the core: frozen dataclasses and enums, no SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.app.api import LockInfo
from core.domain.models import Side
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome

__all__ = [
    "TRADING_MODES",
    "FillRecord",
    "InstanceBeat",
    "JournalEntry",
    "LeaseOwner",
    "LockInfo",
    "OrderStatus",
    "PlanBasis",
    "PlanRecord",
    "PlanStatus",
    "RunOutcome",
    "RunRecord",
    "StatsRecord",
]

TRADING_MODES = ("paper", "live")  # what plans and runs record as their `mode`


@dataclass(frozen=True)
class PlanRecord:
    """A stored plan. `payload_json` is opaque to the store; `prices` are the mids it used."""

    id: str  # at most 32 characters
    user_id: str
    created_at: datetime
    expires_at: datetime
    content_hash: str
    prices: Mapping[str, Decimal]
    payload_json: str
    status: PlanStatus = PlanStatus.PENDING
    executed_at: datetime | None = None
    mode: str = "paper"  # the trading mode it was made in: "paper" or "live"
    read_at: datetime | None = None  # taken before the balances and prices were read
    runs_seen: int | None = None  # every run with an id up to this had ended by `read_at`
    config_version: int | None = None  # the version of the locks and targets it used


@dataclass(frozen=True)
class JournalEntry:
    """One order of an execution, as far as it is known."""

    id: int
    plan_id: str
    run_id: int | None
    client_order_id: str
    symbol: str
    side: Side
    amount: Decimal
    status: OrderStatus
    exchange_order_id: str | None
    filled_amount: Decimal
    average_price: Decimal | None
    cost: Decimal
    fee: Decimal
    error: str | None
    created_at: datetime
    updated_at: datetime
    mode: str | None = None  # None: journaled before revision 0003 (see that migration)


@dataclass(frozen=True)
class RunRecord:
    """One execution of a plan, with its journal entries (oldest first) for history."""

    id: int
    plan_id: str
    user_id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: RunOutcome
    drift_before: Decimal
    drift_after: Decimal | None
    traded_value: Decimal
    fees: Decimal
    duration_s: float
    orders_ok: int
    orders_failed: int
    orders_skipped: int
    note: str
    orders: tuple[JournalEntry, ...] = ()
    mode: str = "paper"  # the trading mode it ran in: "paper" or "live"
    trigger: str = "manual"  # what started it: manual (later autopilot, api)


@dataclass(frozen=True)
class FillRecord:
    """What one exchange order filled: the raw material of cost basis."""

    exchange_order_id: str
    client_order_id: str | None
    symbol: str
    side: Side
    amount: Decimal  # base units
    price: Decimal  # average fill price
    cost: Decimal  # quote units
    fee: Decimal
    fee_currency: str
    filled_at: datetime  # the exchange's close time when it reports one
    mode: str = "live"
    run_id: int | None = None  # the run the order belonged to
    trigger: str = ""  # what started that run (the run's trigger)


@dataclass(frozen=True)
class LeaseOwner:
    """The process holding a lease: enough to tell, on the same host, that it is gone."""

    host: str
    pid: int
    boot: str  # the kernel's boot id ("" where there is none)
    token: str  # unique to one process lifetime


@dataclass(frozen=True)
class PlanBasis:
    """What a plan is made from, read in one transaction before the exchange is asked."""

    runs_seen: int  # every run with an id up to this one had ended
    config_version: int
    targets: Mapping[str, Decimal]
    locks: tuple[LockInfo, ...]


@dataclass(frozen=True)
class StatsRecord:
    """Aggregates over every run and journal entry (averages are None without runs)."""

    runs_by_outcome: Mapping[RunOutcome, int]
    total_traded: Decimal  # sum of runs' traded value, quote units
    total_fees: Decimal
    avg_drift_before: Decimal | None  # percentage points
    avg_drift_after: Decimal | None  # over runs that measured it
    volume_by_symbol: Mapping[str, Decimal]  # "BTC/EUR" -> quote value traded
    last_run: RunRecord | None
    drift_series: tuple[tuple[datetime, Decimal, Decimal | None], ...] = field(default=())
    runs_by_trigger: Mapping[str, int] = field(default_factory=dict)

    @property
    def runs(self) -> int:
        return sum(self.runs_by_outcome.values())


@dataclass(frozen=True)
class InstanceBeat:
    """The bot instance recorded on a database, and how long ago (database clock) it beat."""

    owner: LeaseOwner
    age_s: float
