"""What maker-first execution keeps: its records and the store port it needs.

Implementation: `core.store.repo.Store` (revision 0006: `maker_orders`, `order_changes`, the
journal's leg columns); the unit tests use an in-memory fake of `MakerJournal`. Every method
outside a unit of work is one transaction of its own; failures leave as StorageError.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from core.app.records import FillRecord, JournalEntry, RunRecord
from core.app.repositories import Store, UnitOfWork
from core.domain.models import ZERO, Side
from core.domain.orders import OrderType
from core.domain.statuses import OrderStatus


@dataclass(frozen=True)
class LegIntent:
    """One exchange order that works a planned order, about to be sent."""

    plan_id: str
    run_id: int | None
    maker_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    amount: Decimal
    order_type: OrderType
    limit_price: Decimal | None
    post_only: bool
    mode: str


@dataclass(frozen=True)
class Leg:
    """A journaled leg: its journal entry and what kind of order it was."""

    entry: JournalEntry
    post_only: bool
    limit_price: Decimal | None
    maker_order_id: str


@dataclass(frozen=True)
class MakerOrderRecord:
    """One planned order worked maker-first (its legs name it)."""

    id: str
    plan_id: str
    run_id: int | None
    symbol: str
    side: Side
    amount: Decimal
    plan_mid: Decimal
    taker_fee: Decimal
    started_at: datetime
    mode: str
    finished_at: datetime | None = None
    note: str = ""


class ChangeKind(StrEnum):
    AMEND = "amend"
    CANCEL = "cancel"


class ChangeStatus(StrEnum):
    INTENT = "intent"  # written, about to be sent
    DONE = "done"  # the exchange accepted it
    REJECTED = "rejected"  # refused: nothing changed
    UNKNOWN = "unknown"  # the answer was lost: the order is read, never changed blindly


@dataclass(frozen=True)
class MakerTotals:
    """Maker-first figures over every finished planned order of one mode (for /stats)."""

    filled_value: Decimal = ZERO  # quote value traded by maker-first orders
    maker_value: Decimal = ZERO  # the part that traded as maker (post-only legs)
    fees: Decimal = ZERO  # what they paid
    taker_fees: Decimal = ZERO  # what the same value would have paid at the taker fee

    @property
    def maker_share(self) -> Decimal | None:
        return None if self.filled_value <= 0 else self.maker_value / self.filled_value

    @property
    def fee_saved(self) -> Decimal:
        return self.taker_fees - self.fees


class MakerJournal(Protocol):
    """The store as maker-first execution and its recovery use it."""

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...
    def start_maker_order(self, record: MakerOrderRecord) -> None: ...
    def finish_maker_order(self, maker_order_id: str, *, note: str, now: datetime) -> None: ...
    def unfinished_maker_orders(self, mode: str) -> list[MakerOrderRecord]: ...
    def journal_leg(self, leg: LegIntent, now: datetime) -> JournalEntry:
        """Record a leg about to be sent (status `intent`), like `journal_intent`."""
        ...

    def legs(self, maker_order_ids: Sequence[str]) -> list[Leg]:
        """The legs of these planned orders, oldest first."""
        ...

    def journal_change(
        self,
        client_order_id: str,
        kind: ChangeKind,
        now: datetime,
        *,
        limit_price: Decimal | None = None,
        amount: Decimal | None = None,
    ) -> int:
        """Record an amend or cancel about to be sent; returns its id."""
        ...

    def change_outcome(
        self, change_id: int, status: ChangeStatus, now: datetime, error: str | None = None
    ) -> None: ...
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
    def journal_for_ids(self, client_order_ids: Sequence[str]) -> list[JournalEntry]: ...
    def record_fill(self, fill: FillRecord) -> bool: ...
    def runs_by_id(self, run_ids: Iterable[int]) -> list[RunRecord]: ...
    def maker_totals(self, mode: str) -> MakerTotals: ...


class MakerStore(Store, MakerJournal, Protocol):
    """Everything the use cases keep, maker-first execution included."""
