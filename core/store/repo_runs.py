"""Runs (one per execution), their history with orders, and the statistics over them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, exists, func, select
from sqlmodel.sql.expression import SelectOfScalar

from core.app.records import JournalEntry, RunRecord, StatsRecord
from core.domain.models import ZERO
from core.domain.statuses import OrderStatus, RunOutcome
from core.errors import StorageError
from core.store.modes import checked_mode
from core.store.repo_base import StoreBase
from core.store.repo_journal import journal_entry
from core.store.tables import JournalRow, RunRow


class RunStore(StoreBase):
    def start_run(
        self,
        plan_id: str,
        user_id: str,
        drift_before: Decimal,
        now: datetime,
        *,
        mode: str,
        trigger: str = "manual",
    ) -> int:
        """Record that the execution of `plan_id` starts in `mode`; returns the run id."""
        row = RunRow(
            plan_id=plan_id,
            user_id=user_id,
            started_at=now,
            outcome=RunOutcome.RUNNING,
            drift_before=drift_before,
            mode=checked_mode(mode),
            trigger=trigger,
        )
        with self._unit() as session:
            session.add(row)
            session.flush()
            if row.id is None:
                raise StorageError("the new run got no id")
            return row.id

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
    ) -> None:
        """Record how a run ended."""
        with self._unit() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise StorageError(f"there is no run {run_id}")
            row.finished_at, row.outcome, row.drift_after = now, outcome, drift_after
            row.traded_value, row.fees, row.duration_s = traded_value, fees, duration_s
            row.orders_ok, row.orders_failed = orders_ok, orders_failed
            row.orders_skipped, row.note = orders_skipped, note

    def last_executed_run(self, mode: str | None = None) -> RunRecord | None:
        """The newest run (in `mode`, if given) that may have placed an order (for the cooldown).

        A run counts if any of its journal entries is other than `rejected`: an `intent`
        left by a crash may have reached the exchange, so it counts too.
        """
        with self._unit() as session:
            row = session.exec(_newest_first(mode).where(_placed()).limit(1)).first()
            return None if row is None else _with_orders(session, [row])[0]

    def superseding_run(self, runs_seen: int, mode: str) -> RunRecord | None:
        """The newest run in `mode` with an id above `runs_seen` that may have placed an order:
        it started after a plan's data was read, or was still running then."""
        with self._unit() as session:
            statement = _newest_first(mode).where(_placed(), col(RunRow.id) > runs_seen)
            row = session.exec(statement.limit(1)).first()
            return None if row is None else _with_orders(session, [row])[0]

    def runs_by_id(self, run_ids: Iterable[int]) -> list[RunRecord]:
        """These runs, each with its orders."""
        with self._unit() as session:
            statement = _newest_first().where(col(RunRow.id).in_(list(run_ids)))
            return _with_orders(session, session.exec(statement).all())

    def unfinished_runs(self, mode: str | None = None) -> list[RunRecord]:
        """Runs still marked running: their process died before recording the outcome.

        With `mode`, only that mode's (each mode's process recovers its own runs).
        """
        with self._unit() as session:
            statement = _newest_first().where(col(RunRow.outcome) == RunOutcome.RUNNING)
            if mode is not None:
                statement = statement.where(col(RunRow.mode) == mode)
            return _with_orders(session, session.exec(statement).all())

    def history(self, n: int, mode: str | None = None) -> list[RunRecord]:
        """The last `n` runs (in `mode`, if given), newest first, each with its orders."""
        with self._unit() as session:
            rows = session.exec(_newest_first(mode).limit(max(n, 0))).all()
            return _with_orders(session, rows)

    def stats(self, mode: str | None = None) -> StatsRecord:
        """Aggregates over all runs (in `mode`, if given, and those runs' orders only);
        sums are exact (done in Decimal, not in SQL)."""
        journal_statement = select(JournalRow)
        if mode is not None:
            of_mode = select(RunRow.id).where(col(RunRow.mode) == mode)
            journal_statement = journal_statement.where(col(JournalRow.run_id).in_(of_mode))
        with self._unit() as session:
            rows = session.exec(_newest_first(mode)).all()
            journal = session.exec(journal_statement).all()
            last = _with_orders(session, rows[:1])
        volume: defaultdict[str, Decimal] = defaultdict(Decimal)
        for entry in journal:
            volume[entry.symbol] += entry.cost
        oldest_first = rows[::-1]
        return StatsRecord(
            runs_by_outcome=dict(Counter(RunOutcome(r.outcome) for r in rows)),
            total_traded=sum((r.traded_value for r in rows), ZERO),
            total_fees=sum((r.fees for r in rows), ZERO),
            avg_drift_before=_average([r.drift_before for r in rows]),
            avg_drift_after=_average([r.drift_after for r in rows if r.drift_after is not None]),
            volume_by_symbol={s: v for s, v in sorted(volume.items()) if v},
            last_run=last[0] if last else None,
            drift_series=tuple((r.started_at, r.drift_before, r.drift_after) for r in oldest_first),
            runs_by_trigger=dict(Counter(r.trigger for r in rows)),
        )

    def runs_started_since(self, since: datetime, *, mode: str, trigger: str) -> int:
        """How many runs in `mode` started by `trigger` began at or after `since`."""
        statement = (
            select(func.count())
            .select_from(RunRow)
            .where(
                col(RunRow.mode) == mode,
                col(RunRow.trigger) == trigger,
                col(RunRow.started_at) >= since,
            )
        )
        with self._unit() as session:
            return int(session.exec(statement).one())


def _placed() -> Any:
    """Runs with a journal entry other than `rejected`: they may have placed an order."""
    return exists().where(
        col(JournalRow.run_id) == col(RunRow.id),
        col(JournalRow.status) != OrderStatus.REJECTED,
    )


def _newest_first(mode: str | None = None) -> SelectOfScalar[RunRow]:
    statement = select(RunRow).order_by(col(RunRow.started_at).desc(), col(RunRow.id).desc())
    return statement if mode is None else statement.where(col(RunRow.mode) == mode)


def _with_orders(session: Session, rows: Sequence[RunRow]) -> list[RunRecord]:
    ids = [row.id for row in rows if row.id is not None]
    orders: defaultdict[int, list[JournalEntry]] = defaultdict(list)
    if ids:
        statement = (
            select(JournalRow).where(col(JournalRow.run_id).in_(ids)).order_by(col(JournalRow.id))
        )
        for entry in session.exec(statement):
            orders[entry.run_id or 0].append(journal_entry(entry))
    return [_run_record(row, tuple(orders[row.id or 0])) for row in rows]


def _run_record(row: RunRow, orders: tuple[JournalEntry, ...]) -> RunRecord:
    if row.id is None:
        raise StorageError("a run was read before it had an id")
    return RunRecord(
        id=row.id,
        plan_id=row.plan_id,
        user_id=row.user_id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        outcome=RunOutcome(row.outcome),
        drift_before=row.drift_before,
        drift_after=row.drift_after,
        traded_value=row.traded_value,
        fees=row.fees,
        duration_s=row.duration_s,
        orders_ok=row.orders_ok,
        orders_failed=row.orders_failed,
        orders_skipped=row.orders_skipped,
        note=row.note,
        orders=orders,
        mode=row.mode,
        trigger=row.trigger,
    )


def _average(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None
