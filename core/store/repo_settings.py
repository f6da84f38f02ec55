"""The owner's settings kept in the database: target weights, locks, preferences, small state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, delete, select

from core.errors import StorageError
from core.results import LockInfo
from core.store.repo_base import StoreBase, is_conflict
from core.store.tables import KvRow, LockRow, TargetRow, UserPrefRow


class SettingsStore(StoreBase):
    # --- Targets ---------------------------------------------------------------------
    def get_targets(self) -> dict[str, Decimal]:
        """Target weights in percent, largest first, then by symbol."""
        with self._unit() as session:
            rows = session.exec(select(TargetRow)).all()
        ordered = sorted(rows, key=lambda r: (-r.weight, r.symbol))
        return {row.symbol: row.weight for row in ordered}

    def set_targets(self, weights: Mapping[str, Decimal], now: datetime) -> None:
        """Replace every target weight at once."""
        with self._unit() as session:
            session.exec(delete(TargetRow))
            session.add_all(_target_rows(weights, now))

    def seed_targets_if_empty(self, weights: Mapping[str, Decimal], now: datetime) -> bool:
        """Store `weights` only if there are no targets yet; True if it did."""
        try:
            with self._unit() as session:
                if session.exec(select(TargetRow).limit(1)).first() is not None:
                    return False
                session.add_all(_target_rows(weights, now))
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
        except StorageError as e:
            if is_conflict(e):
                return False
            raise
        return True

    def unlock(self, symbol: str) -> bool:
        """Unfreeze `symbol`; False if it was not locked."""
        with self._unit() as session:
            return session.exec(delete(LockRow).where(col(LockRow.symbol) == symbol)).rowcount > 0

    def unlock_all(self) -> int:
        """Unfreeze everything; returns how many locks there were."""
        with self._unit() as session:
            return session.exec(delete(LockRow)).rowcount

    def locks(self) -> list[LockInfo]:
        """Every lock, by symbol."""
        with self._unit() as session:
            rows = session.exec(select(LockRow).order_by(col(LockRow.symbol))).all()
            return [LockInfo(r.symbol, r.locked_by, r.locked_at, r.reason) for r in rows]

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


def _target_rows(weights: Mapping[str, Decimal], now: datetime) -> list[TargetRow]:
    return [TargetRow(symbol=s, weight=w, updated_at=now) for s, w in weights.items()]
