"""The in-memory store's one account lease (as `core.store.repo_lease`), timed by its clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from core.app.records import LeaseOwner
from tests.fakes.store_base import FakeStoreBase, HeldLease


def _never(_holder: str, _owner: LeaseOwner) -> bool:
    return False


class FakeLeases(FakeStoreBase):
    def acquire_lease(
        self,
        holder: str,
        owner: LeaseOwner,
        stale_seconds: float,
        abandoned: Callable[[str, LeaseOwner], bool] = _never,
    ) -> bool:
        with self._tx("acquire_lease") as s:
            now, lease = self.clock(), s.lease
            stale = lease is not None and lease.refreshed_at < now - timedelta(
                seconds=stale_seconds
            )
            if lease is None or stale or abandoned(lease.holder, lease.owner):
                s.lease = HeldLease(holder, owner, now, now)
                return True
            return False

    def refresh_lease(self, holder: str, owner: LeaseOwner) -> bool:
        with self._tx("refresh_lease") as s:
            lease = s.lease
            if lease is None or (lease.holder, lease.owner.token) != (holder, owner.token):
                return False
            s.lease = HeldLease(holder, lease.owner, lease.acquired_at, self.clock())
            return True

    def release_lease(self, holder: str, owner: LeaseOwner | None = None) -> bool:
        with self._tx("release_lease") as s:
            lease = s.lease
            if lease is None or lease.holder != holder:
                return False
            if owner is not None and lease.owner.token != owner.token:
                return False
            s.lease = None
            return True

    def lease_holder(self) -> str | None:
        with self._tx("lease_holder") as s:
            return None if s.lease is None else s.lease.holder
