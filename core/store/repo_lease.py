"""The account's one lease: one execution (or reconciliation) at a time, across processes.

Times are the database's clock (`StoreBase._now`), so processes on different hosts agree on
a lease's age whatever their own clocks say. The owner columns say which process holds it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Update
from sqlmodel import Session, col, select, update

from core.app.records import LeaseOwner
from core.errors import StorageError
from core.store.repo_base import StoreBase
from core.store.tables import ExecutionLeaseRow

LEASE_ID = 1


def _never(_holder: str, _owner: LeaseOwner) -> bool:
    """No liveness information: only staleness frees a lease."""
    return False


class LeaseStore(StoreBase):
    def acquire_lease(
        self,
        holder: str,
        owner: LeaseOwner,
        stale_seconds: float,
        abandoned: Callable[[str, LeaseOwner], bool] = _never,
    ) -> bool:
        """Take the account's one lease for `holder` (a plan id, or "reconcile"); False if
        someone else holds it.

        A lease is taken over when free, when not refreshed for `stale_seconds` by the
        database's clock, or when `abandoned(holder, owner)` says nobody is behind it any
        more (its process died: a restart on the same host). The takeover is a
        compare-and-set on what was read.
        """
        with self._unit() as session:
            now, lease = self._now(session), _lease(session)
            if not _takeable(lease, now, stale_seconds, abandoned):
                return False
            statement = _same_lease(lease).values(
                plan_id=holder, acquired_at=now, refreshed_at=now, **_owner_columns(owner)
            )
            return session.exec(statement).rowcount == 1

    def refresh_lease(self, holder: str, owner: LeaseOwner) -> bool:
        """Show the holder is alive (database time); False if it no longer holds the lease."""
        with self._unit() as session:
            now = self._now(session)
            statement = (
                update(ExecutionLeaseRow)
                .where(col(ExecutionLeaseRow.id) == LEASE_ID)
                .where(col(ExecutionLeaseRow.plan_id) == holder)
                .where(col(ExecutionLeaseRow.owner_token) == owner.token)
                .values(refreshed_at=now)
            )
            return session.exec(statement).rowcount == 1

    def release_lease(self, holder: str, owner: LeaseOwner | None = None) -> bool:
        """Give the lease back if `holder` (of `owner`, if given) holds it; False otherwise."""
        statement = (
            update(ExecutionLeaseRow)
            .where(col(ExecutionLeaseRow.id) == LEASE_ID)
            .where(col(ExecutionLeaseRow.plan_id) == holder)
        )
        if owner is not None:
            statement = statement.where(col(ExecutionLeaseRow.owner_token) == owner.token)
        with self._unit() as session:
            return session.exec(statement.values(**_FREE)).rowcount == 1

    def lease_holder(self) -> str | None:
        """The plan id executing now (or "reconcile"), if any."""
        with self._unit() as session:
            return _lease(session).plan_id

    def lease_owner(self) -> LeaseOwner | None:
        """The process holding the lease, if any."""
        with self._unit() as session:
            return _owner(_lease(session))

    def lease_refreshed_at(self) -> datetime | None:
        with self._unit() as session:
            return _lease(session).refreshed_at

    def force_release_lease(self) -> str | None:
        """Free the lease whoever holds it (by hand, after a crash); returns the holder."""
        with self._unit() as session:
            lease = _lease(session)
            holder = lease.plan_id
            session.exec(_same_lease(lease).values(**_FREE))
            return holder


_FREE: dict[str, Any] = {
    "plan_id": None,
    "acquired_at": None,
    "refreshed_at": None,
    "owner_host": None,
    "owner_pid": None,
    "owner_boot": None,
    "owner_token": None,
}


def _takeable(
    lease: ExecutionLeaseRow,
    now: datetime,
    stale_seconds: float,
    abandoned: Callable[[str, LeaseOwner], bool],
) -> bool:
    if lease.plan_id is None:
        return True
    refreshed = lease.refreshed_at or lease.acquired_at
    if refreshed is None or refreshed < now - timedelta(seconds=stale_seconds):
        return True
    owner = _owner(lease)
    return owner is not None and abandoned(lease.plan_id, owner)


def _same_lease(lease: ExecutionLeaseRow) -> Update:
    """An UPDATE of the lease row that matches only if nobody changed it since it was read."""
    token = col(ExecutionLeaseRow.owner_token)
    return (
        update(ExecutionLeaseRow)
        .where(col(ExecutionLeaseRow.id) == LEASE_ID)
        .where(_is(col(ExecutionLeaseRow.plan_id), lease.plan_id))
        .where(_is(col(ExecutionLeaseRow.refreshed_at), lease.refreshed_at))
        .where(_is(token, lease.owner_token))
    )


def _is(column: Any, value: object) -> ColumnElement[bool]:
    result: ColumnElement[bool] = column.is_(None) if value is None else column == value
    return result


def _owner(lease: ExecutionLeaseRow) -> LeaseOwner | None:
    if lease.owner_token is None:
        return None
    return LeaseOwner(
        host=lease.owner_host or "",
        pid=lease.owner_pid or 0,
        boot=lease.owner_boot or "",
        token=lease.owner_token,
    )


def _owner_columns(owner: LeaseOwner) -> dict[str, Any]:
    return {
        "owner_host": owner.host[:255],
        "owner_pid": owner.pid,
        "owner_boot": owner.boot[:64],
        "owner_token": owner.token[:64],
    }


def _lease(session: Session) -> ExecutionLeaseRow:
    lease = session.exec(
        select(ExecutionLeaseRow).where(col(ExecutionLeaseRow.id) == LEASE_ID)
    ).first()
    if lease is None:
        raise StorageError("the execution_lease row is missing; run the database migrations")
    return lease
