"""The store's ports: what the use cases keep, as Protocols, and the unit of work.

Implementations: `core.store.repo.Store` (SQLModel) and `tests.fakes.store.FakeStore` (in
memory). Every method outside a unit of work is one transaction of its own; inside
`with store.unit_of_work() as uow:` the calls share one transaction, committed by
`uow.commit()` and rolled back if the block ends without it (or by an exception).
Failures leave as `core.errors.StorageError`; refusals as `ExecutionRefused`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from core.app.records import (
    FillRecord,
    InstanceBeat,
    JournalEntry,
    LeaseOwner,
    LockInfo,
    PlanBasis,
    PlanRecord,
    RunRecord,
    StatsRecord,
)
from core.domain.lots import Adjustment
from core.domain.models import Side
from core.domain.series import ValueSample
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome


class UnitOfWork(Protocol):
    def commit(self) -> None:
        """Make every write of the block permanent, at once."""
        ...


class Plans(Protocol):
    def add_plan(self, plan: PlanRecord) -> None: ...
    def get_plan(self, plan_id: str) -> PlanRecord | None: ...
    def claimable_plan(self, plan_id: str, user_id: str, now: datetime) -> PlanRecord:
        """The plan if `user_id` may claim it now, else its refusal (changes nothing)."""
        ...

    def claim_plan(
        self, plan_id: str, user_id: str, now: datetime, config_version: int | None = None
    ) -> PlanRecord:
        """pending -> confirmed exactly once, while the locks/targets are at that version."""
        ...

    def cancel_plan(self, plan_id: str, user_id: str) -> PlanRecord: ...
    def set_plan_status(self, plan_id: str, status: PlanStatus, now: datetime) -> None: ...
    def withdraw_plan(self, plan_id: str) -> bool:
        """pending -> cancelled (a refusal that ends the plan); True if it was pending."""
        ...


class Leases(Protocol):
    def acquire_lease(
        self,
        holder: str,
        owner: LeaseOwner,
        stale_seconds: float,
        abandoned: Callable[[str, LeaseOwner], bool] = ...,
    ) -> bool: ...
    def refresh_lease(self, holder: str, owner: LeaseOwner) -> bool: ...
    def release_lease(self, holder: str, owner: LeaseOwner | None = None) -> bool: ...
    def lease_holder(self) -> str | None: ...


class Journal(Protocol):
    def journal_intent(  # noqa: PLR0917 (positional, as the order desk calls it)
        self,
        plan_id: str,
        run_id: int | None,
        client_order_id: str,
        symbol: str,
        side: Side,
        amount: Decimal,
        now: datetime,
        *,
        mode: str,
    ) -> JournalEntry: ...
    def journal_update(
        self,
        client_order_id: str,
        *,
        status: OrderStatus,
        exchange_order_id: str | None = None,
        filled_amount: Decimal | None = None,
        average_price: Decimal | None = None,
        cost: Decimal | None = None,
        fee: Decimal | None = None,
        error: str | None = None,
        now: datetime,
    ) -> JournalEntry: ...
    def journal_unresolved(self, mode: str | None = None) -> list[JournalEntry]: ...
    def journal_for_ids(self, client_order_ids: Sequence[str]) -> list[JournalEntry]: ...
    def journal_for_plan(self, plan_id: str) -> list[JournalEntry]: ...
    def label_live(self, client_order_ids: Sequence[str]) -> int: ...
    def record_fill(self, fill: FillRecord) -> bool: ...
    def fills(self, symbol: str | None = None, mode: str | None = None) -> list[FillRecord]: ...


class Runs(Protocol):
    def start_run(
        self,
        plan_id: str,
        user_id: str,
        drift_before: Decimal,
        now: datetime,
        *,
        mode: str,
        trigger: str = "manual",
    ) -> int: ...
    def finish_run(
        self,
        run_id: int,
        *,
        outcome: RunOutcome,
        drift_after: Decimal | None,
        traded_value: Decimal,
        fees: Decimal,
        duration_s: float,
        orders_ok: int,
        orders_failed: int,
        orders_skipped: int,
        note: str = "",
        now: datetime,
    ) -> None: ...
    def last_executed_run(self, mode: str | None = None) -> RunRecord | None: ...
    def superseding_run(self, runs_seen: int, mode: str) -> RunRecord | None: ...
    def runs_by_id(self, run_ids: Iterable[int]) -> list[RunRecord]: ...
    def unfinished_runs(self, mode: str | None = None) -> list[RunRecord]: ...
    def history(self, n: int, mode: str | None = None) -> list[RunRecord]: ...
    def stats(self, mode: str | None = None) -> StatsRecord: ...
    def runs_started_since(self, since: datetime, *, mode: str, trigger: str) -> int:
        """How many runs in `mode` started by `trigger` began at or after `since`."""
        ...


class OwnerSettings(Protocol):
    """The owner's settings: targets, locks (with their version), preferences, small state."""

    def get_targets(self) -> dict[str, Decimal]: ...
    def set_targets(self, weights: Mapping[str, Decimal], now: datetime) -> None: ...
    def seed_targets_if_empty(self, weights: Mapping[str, Decimal], now: datetime) -> bool: ...
    def config_version(self) -> int: ...
    def plan_basis(self, mode: str) -> PlanBasis: ...
    def lock(self, symbol: str, user: str, now: datetime, reason: str | None = None) -> bool: ...
    def unlock(self, symbol: str) -> bool: ...
    def unlock_all(self) -> int: ...
    def locks(self) -> list[LockInfo]: ...
    def alerts_enabled(self, user_id: str) -> bool: ...
    def set_alerts(self, user_id: str, enabled: bool) -> None: ...
    def kv_get(self, key: str) -> str | None: ...
    def kv_set(self, key: str, value: str, now: datetime) -> None: ...


class PositionBook(Protocol):
    """What the lot ledger keeps beside the fills: adjustments and value samples, per mode."""

    def lot_adjustments(self, mode: str) -> list[Adjustment]:
        """This mode's adjustments, in the order they were recorded."""
        ...

    def add_lot_adjustments(self, adjustments: Sequence[Adjustment], now: datetime) -> None: ...
    def state_opening_price(self, mode: str, asset: str, price: Decimal) -> int:
        """`asset`'s opening lots in `mode` at `price`, no longer estimated; how many changed."""
        ...

    def value_samples(self, mode: str, quote: str) -> list[ValueSample]:
        """This mode's samples in `quote`, oldest first."""
        ...

    def last_value_sample_at(self, mode: str) -> datetime | None: ...
    def add_value_sample(self, mode: str, quote: str, sample: ValueSample) -> None: ...
    def earliest_plan(self, mode: str) -> PlanRecord | None:
        """The first plan made in `mode`: the first valuation the bot saw there."""
        ...


class Instances(Protocol):
    """Which bot runs on this database (see `core.app.instance`); times by the database."""

    def claim_instance(
        self, owner: LeaseOwner, stale_seconds: float, abandoned: Callable[[LeaseOwner], bool]
    ) -> InstanceBeat | None: ...
    def refresh_instance(self, owner: LeaseOwner) -> bool: ...
    def release_instance(self, owner: LeaseOwner) -> bool: ...
    def clear_instance(self) -> None: ...
    def instance_beat(self) -> InstanceBeat | None: ...


class Store(Plans, Leases, Journal, Runs, OwnerSettings, PositionBook, Instances, Protocol):
    """Everything the use cases keep."""

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
    def close(self) -> None: ...
