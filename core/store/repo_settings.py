"""The owner's settings kept in the database: target weights, locks, preferences, small state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Integer, Text, cast, func
from sqlmodel import Session, col, delete, select, update

from core.app.api import LockInfo
from core.app.records import PlanBasis
from core.domain.statuses import PlanStatus
from core.errors import StorageError
from core.store.repo_base import StoreBase, is_conflict
from core.store.tables import KvRow, LockRow, PlanRow, RunRow, TargetRow, UserPrefRow

CONFIG_VERSION_KEY = "config.version"  # bumped by every change of the locks or targets


class SettingsStore(StoreBase):
    # --- Targets ---------------------------------------------------------------------
    def get_targets(self) -> dict[str, Decimal]:
        """Target weights in percent, largest first, then by symbol."""
        with self._unit() as session:
            return _targets(session)

    def set_targets(self, weights: Mapping[str, Decimal], now: datetime) -> None:
        """Replace every target weight at once (and bump the config version with it)."""
        with self._unit() as session:
            session.exec(delete(TargetRow))
            session.add_all(_target_rows(weights, now))
            self._changed(session)

    def config_version(self) -> int:
        """The version of the locks and targets: it changes with each change of either."""
        with self._unit() as session:
            return _version(session)

    def plan_basis(self, mode: str) -> PlanBasis:
        """Targets, locks, their version and the run watermark, read as one consistent view.

        `runs_seen` is the newest run id such that every run of `mode` up to it had ended: a
        run of `mode` with a higher id started after this read, or was still running during
        it. Runs of the other mode never count (a paper run left unfinished, which a live
        process never recovers, must not hold back every live plan).
        """
        with self._unit() as session:
            newest = session.exec(select(func.max(RunRow.id))).one() or 0
            running = session.exec(
                select(func.min(RunRow.id)).where(
                    col(RunRow.finished_at).is_(None), col(RunRow.mode) == mode
                )
            ).one()
            return PlanBasis(
                runs_seen=newest if running is None else running - 1,
                config_version=_version(session),
                targets=_targets(session),
                locks=_locks(session),
            )

    def seed_targets_if_empty(self, weights: Mapping[str, Decimal], now: datetime) -> bool:
        """Store `weights` only if there are no targets yet; True if it did."""
        try:
            with self._unit() as session:
                if session.exec(select(TargetRow).limit(1)).first() is not None:
                    return False
                session.add_all(_target_rows(weights, now))
                self._changed(session)
        except StorageError as e:
            if is_conflict(e):  # another process seeded first
                return False
            raise
        return True

    # --- Locks -----------------------------------------------------------------------
    def lock(self, symbol: str, user: str, now: datetime, reason: str | None = None) -> bool:
        """Freeze `symbol`; False (and no change) if it was already locked."""
        try:
            with self._unit() as session:
                if session.get(LockRow, symbol) is not None:
                    return False
                session.add(LockRow(symbol=symbol, locked_by=user, locked_at=now, reason=reason))
                session.flush()
                self._changed(session)
        except StorageError as e:
            if is_conflict(e):
                return False
            raise
        return True

    def unlock(self, symbol: str) -> bool:
        """Unfreeze `symbol`; False if it was not locked."""
        with self._unit() as session:
            removed = session.exec(delete(LockRow).where(col(LockRow.symbol) == symbol)).rowcount
            if removed:
                self._changed(session)
            return removed > 0

    def unlock_all(self) -> int:
        """Unfreeze everything; returns how many locks there were."""
        with self._unit() as session:
            removed: int = session.exec(delete(LockRow)).rowcount
            if removed:
                self._changed(session)
            return removed

    def _changed(self, session: Session) -> None:
        """The locks or targets changed: a new version, and every pending plan (made under
        the old ones) withdrawn, in the same transaction as the change."""
        _bump_version(session, self._now(session))
        session.exec(
            update(PlanRow)
            .where(col(PlanRow.status) == PlanStatus.PENDING)
            .values(status=PlanStatus.CANCELLED)
        )

    def locks(self) -> list[LockInfo]:
        """Every lock, by symbol."""
        with self._unit() as session:
            return list(_locks(session))

    # --- User preferences and small state ----------------------------------------------
    def alerts_enabled(self, user_id: str) -> bool:
        """Whether drift alerts go to `user_id` (on unless they turned them off)."""
        with self._unit() as session:
            row = session.get(UserPrefRow, user_id)
            return True if row is None else row.alerts_enabled

    def set_alerts(self, user_id: str, enabled: bool) -> None:
        with self._unit() as session:
            session.merge(UserPrefRow(user_id=user_id, alerts_enabled=enabled))

    def kv_get(self, key: str) -> str | None:
        with self._unit() as session:
            row = session.get(KvRow, key)
            return None if row is None else row.value

    def kv_set(self, key: str, value: str, now: datetime) -> None:
        with self._unit() as session:
            session.merge(KvRow(key=key, value=value, updated_at=now))


def _targets(session: Session) -> dict[str, Decimal]:
    rows = session.exec(select(TargetRow)).all()
    ordered = sorted(rows, key=lambda r: (-r.weight, r.symbol))
    return {row.symbol: row.weight for row in ordered}


def _locks(session: Session) -> tuple[LockInfo, ...]:
    rows = session.exec(select(LockRow).order_by(col(LockRow.symbol))).all()
    return tuple(LockInfo(r.symbol, r.locked_by, r.locked_at, r.reason) for r in rows)


def _version(session: Session) -> int:
    row = session.get(KvRow, CONFIG_VERSION_KEY)
    return 0 if row is None else int(row.value)


def _bump_version(session: Session, now: datetime) -> None:
    """One more version, in the caller's transaction: the change and its version commit as one.

    The UPDATE takes the row's write lock first (PostgreSQL), so two changes never read the
    same old version. Migration 0003 inserts the row; a database made since has it from
    its first seed.
    """
    bumped = session.exec(
        update(KvRow)
        .where(col(KvRow.key) == CONFIG_VERSION_KEY)
        .values(value=cast(cast(KvRow.value, Integer) + 1, Text), updated_at=now)
    ).rowcount
    if not bumped:
        session.add(KvRow(key=CONFIG_VERSION_KEY, value="1", updated_at=now))


def _target_rows(weights: Mapping[str, Decimal], now: datetime) -> list[TargetRow]:
    return [TargetRow(symbol=s, weight=w, updated_at=now) for s, w in weights.items()]
