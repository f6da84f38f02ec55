"""The in-memory store's runs, their history and statistics (as `core.store.repo_runs`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from core.app.records import JournalEntry, RunRecord, StatsRecord
from core.domain.models import ZERO
from core.domain.statuses import OrderStatus, RunOutcome
from core.errors import StorageError
from tests.fakes.store_base import FakeStoreBase, State, checked_mode


class FakeRuns(FakeStoreBase):
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
        with self._tx("start_run") as s:
            if plan_id not in s.plans:
                raise StorageError(f"the database failed: there is no plan {plan_id}")
            s.last_run_id += 1
            s.runs[s.last_run_id] = RunRecord(
                id=s.last_run_id,
                plan_id=plan_id,
                user_id=user_id,
                started_at=now,
                finished_at=None,
                outcome=RunOutcome.RUNNING,
                drift_before=drift_before,
                drift_after=None,
                traded_value=ZERO,
                fees=ZERO,
                duration_s=0.0,
                orders_ok=0,
                orders_failed=0,
                orders_skipped=0,
                note="",
                mode=checked_mode(mode),
                trigger=trigger,
            )
            return s.last_run_id

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
        with self._tx("finish_run") as s:
            run = s.runs.get(run_id)
            if run is None:
                raise StorageError(f"there is no run {run_id}")
            s.runs[run_id] = replace(
                run,
                finished_at=now,
                outcome=outcome,
                drift_after=drift_after,
                traded_value=traded_value,
                fees=fees,
                duration_s=duration_s,
                orders_ok=orders_ok,
                orders_failed=orders_failed,
                orders_skipped=orders_skipped,
                note=note,
            )

    def last_executed_run(self, mode: str | None = None) -> RunRecord | None:
        with self._tx("last_executed_run") as s:
            placed = [r for r in _newest_first(s, mode) if _placed(r)]
            return placed[0] if placed else None

    def superseding_run(self, runs_seen: int, mode: str) -> RunRecord | None:
        with self._tx("superseding_run") as s:
            later = [r for r in _newest_first(s, mode) if r.id > runs_seen and _placed(r)]
            return later[0] if later else None

    def runs_by_id(self, run_ids: Iterable[int]) -> list[RunRecord]:
        wanted = set(run_ids)
        with self._tx("runs_by_id") as s:
            return [r for r in _newest_first(s) if r.id in wanted]

    def unfinished_runs(self, mode: str | None = None) -> list[RunRecord]:
        with self._tx("unfinished_runs") as s:
            return [r for r in _newest_first(s, mode) if r.outcome is RunOutcome.RUNNING]

    def history(self, n: int, mode: str | None = None) -> list[RunRecord]:
        with self._tx("history") as s:
            return _newest_first(s, mode)[: max(n, 0)]

    def runs_started_since(self, since: datetime, *, mode: str, trigger: str) -> int:
        with self._tx("runs_started_since") as s:
            return sum(
                r.mode == mode and r.trigger == trigger and r.started_at >= since
                for r in s.runs.values()
            )

    def stats(self, mode: str | None = None) -> StatsRecord:
        with self._tx("stats") as s:
            runs = _newest_first(s, mode)
            ids = {r.id for r in runs}
            journal = [e for e in s.journal.values() if mode is None or e.run_id in ids]
        volume: defaultdict[str, Decimal] = defaultdict(Decimal)
        for entry in journal:
            volume[entry.symbol] += entry.cost
        return StatsRecord(
            runs_by_outcome=dict(Counter(r.outcome for r in runs)),
            total_traded=sum((r.traded_value for r in runs), ZERO),
            total_fees=sum((r.fees for r in runs), ZERO),
            avg_drift_before=_average([r.drift_before for r in runs]),
            avg_drift_after=_average([r.drift_after for r in runs if r.drift_after is not None]),
            volume_by_symbol={k: v for k, v in sorted(volume.items()) if v},
            last_run=runs[0] if runs else None,
            drift_series=tuple((r.started_at, r.drift_before, r.drift_after) for r in runs[::-1]),
            runs_by_trigger=dict(Counter(r.trigger for r in runs)),
        )


def _newest_first(s: State, mode: str | None = None) -> list[RunRecord]:
    """The runs (of `mode`, if given) with their orders, newest first."""
    runs = [r for r in s.runs.values() if mode is None or r.mode == mode]
    runs.sort(key=lambda r: (r.started_at, r.id), reverse=True)
    return [replace(r, orders=_orders(s, r.id)) for r in runs]


def _orders(s: State, run_id: int) -> tuple[JournalEntry, ...]:
    return tuple(e for e in s.journal.values() if e.run_id == run_id)


def _placed(run: RunRecord) -> bool:
    """Whether the run may have placed an order: a journal entry other than rejected."""
    return any(e.status is not OrderStatus.REJECTED for e in run.orders)


def _average(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None
