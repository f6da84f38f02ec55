"""The in-memory store's state, its transactions and its unit of work, and scripted failures.

Every record kept is a frozen dataclass, so a transaction works on a shallow copy of the
state (copy on begin) that replaces the committed state only when it ends well (swap on
commit): a method outside a unit of work is one transaction; inside `unit_of_work()` the
methods share one copy, which `commit()` makes permanent, and which is dropped otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.app.api import LockInfo
from core.app.records import (
    TRADING_MODES,
    FillRecord,
    JournalEntry,
    LeaseOwner,
    PlanRecord,
    RunRecord,
)
from core.domain.lots import Adjustment
from core.domain.series import ValueSample
from core.errors import StorageError

CONFIG_VERSION_KEY = "config.version"  # as the SQL store keeps it (migration 0003 writes 1)


@dataclass(frozen=True)
class HeldLease:
    holder: str
    owner: LeaseOwner
    acquired_at: datetime
    refreshed_at: datetime


@dataclass
class State:
    """Everything the store keeps; runs are kept without their orders (added on reading)."""

    plans: dict[str, PlanRecord] = field(default_factory=dict)
    journal: dict[str, JournalEntry] = field(default_factory=dict)  # by client id, id order
    runs: dict[int, RunRecord] = field(default_factory=dict)
    fills: dict[str, FillRecord] = field(default_factory=dict)  # by exchange order id
    targets: dict[str, Decimal] = field(default_factory=dict)
    locks: dict[str, LockInfo] = field(default_factory=dict)
    alerts: dict[str, bool] = field(default_factory=dict)
    kv: dict[str, str] = field(default_factory=lambda: {CONFIG_VERSION_KEY: "1"})
    lease: HeldLease | None = None
    last_journal_id: int = 0
    last_run_id: int = 0
    adjustments: list[Adjustment] = field(default_factory=list)  # recorded order
    samples: list[tuple[str, str, ValueSample]] = field(default_factory=list)  # mode, quote

    def copy(self) -> State:
        return State(
            dict(self.plans),
            dict(self.journal),
            dict(self.runs),
            dict(self.fills),
            dict(self.targets),
            dict(self.locks),
            dict(self.alerts),
            dict(self.kv),
            self.lease,
            self.last_journal_id,
            self.last_run_id,
            list(self.adjustments),
            list(self.samples),
        )


@dataclass
class Fault:
    method: str  # a store method's name, or "commit" (a unit of work's commit)
    times: int
    after: int  # calls let through first
    error: BaseException | None  # None: a StorageError


@dataclass
class Faults:
    """Scripted database failures: `fail("journal_update", after=1)` lets one call through,
    then raises StorageError once, as a database that failed would (nothing is written);
    `error=ProcessDied()` instead makes the process die at that call."""

    pending: list[Fault] = field(default_factory=list)

    def fail(
        self, method: str, *, times: int = 1, after: int = 0, error: BaseException | None = None
    ) -> None:
        self.pending.append(Fault(method, times, after, error))

    def check(self, method: str) -> None:
        for fault in self.pending:
            if fault.method != method or fault.times <= 0:
                continue
            if fault.after > 0:
                fault.after -= 1
                return
            fault.times -= 1
            raise fault.error or StorageError(f"the database failed (scripted, in {method})")


class FakeUnitOfWork:
    def __init__(self, commit: Callable[[], None]) -> None:
        self._commit = commit

    def commit(self) -> None:
        self._commit()


class FakeStoreBase:
    """The state, committed and (inside a unit of work) being written; the lease clock."""

    def __init__(self, clock: Callable[[], datetime], state: State | None = None) -> None:
        self.clock = clock  # times leases, as the database's clock does for the SQL store
        self.faults = Faults()
        self.committed = State() if state is None else state.copy()
        self._open: State | None = None  # the unit of work's copy, while one is open
        self.closed = False

    @contextmanager
    def unit_of_work(self) -> Iterator[FakeUnitOfWork]:
        """Several calls as one transaction: committed by `commit()`, else dropped."""
        if self._open is not None:
            raise StorageError("a unit of work is already open: they do not nest")
        self._open = self.committed.copy()
        try:
            yield FakeUnitOfWork(self._commit)
        finally:
            self._open = None

    def _commit(self) -> None:
        self.faults.check("commit")
        if self._open is None:
            raise StorageError("no unit of work is open")
        self.committed = self._open
        self._open = self.committed.copy()  # writes after a commit need another commit

    @contextmanager
    def _tx(self, method: str) -> Iterator[State]:
        """One method's transaction: the open unit of work's, or one of its own."""
        self.faults.check(method)
        if self.closed:
            raise StorageError("the store is closed")
        if self._open is not None:
            yield self._open
            return
        work = self.committed.copy()
        yield work
        self.committed = work

    def close(self) -> None:
        self.closed = True


def checked_mode(mode: str) -> str:
    if mode not in TRADING_MODES:
        raise StorageError(f"the trading mode is one of {', '.join(TRADING_MODES)}, not {mode!r}")
    return mode
