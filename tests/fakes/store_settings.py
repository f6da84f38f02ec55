"""The in-memory store's targets, locks, preferences and small state (as `repo_settings`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from core.app.api import LockInfo
from core.app.records import PlanBasis
from core.domain.statuses import PlanStatus
from tests.fakes.store_base import CONFIG_VERSION_KEY, FakeStoreBase, State


class FakeOwnerSettings(FakeStoreBase):
    def get_targets(self) -> dict[str, Decimal]:
        with self._tx("get_targets") as s:
            return _targets(s)

    def set_targets(self, weights: Mapping[str, Decimal], now: datetime) -> None:
        with self._tx("set_targets") as s:
            s.targets = dict(weights)
            _changed(s)

    def seed_targets_if_empty(self, weights: Mapping[str, Decimal], now: datetime) -> bool:
        with self._tx("seed_targets_if_empty") as s:
            if s.targets:
                return False
            s.targets = dict(weights)
            _changed(s)
            return True

    def config_version(self) -> int:
        with self._tx("config_version") as s:
            return _version(s)

    def plan_basis(self, mode: str) -> PlanBasis:
        """As one view; the watermark counts `mode`'s unfinished runs only."""
        with self._tx("plan_basis") as s:
            running = [r.id for r in s.runs.values() if r.finished_at is None and r.mode == mode]
            return PlanBasis(
                runs_seen=min(running) - 1 if running else max(s.runs, default=0),
                config_version=_version(s),
                targets=_targets(s),
                locks=_locks(s),
            )

    def lock(self, symbol: str, user: str, now: datetime, reason: str | None = None) -> bool:
        with self._tx("lock") as s:
            if symbol in s.locks:
                return False
            s.locks[symbol] = LockInfo(symbol, user, now, reason)
            _changed(s)
            return True

    def unlock(self, symbol: str) -> bool:
        with self._tx("unlock") as s:
            if s.locks.pop(symbol, None) is None:
                return False
            _changed(s)
            return True

    def unlock_all(self) -> int:
        with self._tx("unlock_all") as s:
            removed = len(s.locks)
            if removed:
                s.locks.clear()
                _changed(s)
            return removed

    def locks(self) -> list[LockInfo]:
        with self._tx("locks") as s:
            return list(_locks(s))

    def alerts_enabled(self, user_id: str) -> bool:
        with self._tx("alerts_enabled") as s:
            return s.alerts.get(user_id, True)

    def set_alerts(self, user_id: str, enabled: bool) -> None:
        with self._tx("set_alerts") as s:
            s.alerts[user_id] = enabled

    def kv_get(self, key: str) -> str | None:
        with self._tx("kv_get") as s:
            return s.kv.get(key)

    def kv_set(self, key: str, value: str, now: datetime) -> None:
        with self._tx("kv_set") as s:
            s.kv[key] = value


def _changed(s: State) -> None:
    """A new version of the locks and targets; every pending plan withdrawn with it."""
    s.kv[CONFIG_VERSION_KEY] = str(_version(s) + 1)
    for plan in [p for p in s.plans.values() if p.status is PlanStatus.PENDING]:
        s.plans[plan.id] = replace(plan, status=PlanStatus.CANCELLED)


def _version(s: State) -> int:
    return int(s.kv.get(CONFIG_VERSION_KEY, "0"))


def _targets(s: State) -> dict[str, Decimal]:
    return dict(sorted(s.targets.items(), key=lambda item: (-item[1], item[0])))


def _locks(s: State) -> tuple[LockInfo, ...]:
    return tuple(s.locks[k] for k in sorted(s.locks))
