"""Stored plans, their single-use claim, and the one-execution-at-a-time lease."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, or_, select, update

from core.errors import ExecutionRefused, StorageError
from core.store.records import PlanRecord, PlanStatus
from core.store.repo_base import StoreBase
from core.store.repo_runs import checked_mode
from core.store.tables import ExecutionLeaseRow, PlanRow

MAX_PLAN_ID = 32
LEASE_ID = 1
FRESH = "Take a fresh plan with /rebalance."
NOTHING_PLACED = "Nothing was placed."


class PlanStore(StoreBase):
    # --- Plans -----------------------------------------------------------------------
    def add_plan(self, plan: PlanRecord) -> None:
        """Store a new plan (normally pending). Its id must be new and at most 32 chars."""
        if not plan.id or len(plan.id) > MAX_PLAN_ID:
            raise StorageError(f"a plan id has 1 to {MAX_PLAN_ID} characters, not {plan.id!r}")
        with self._unit() as session:
            session.add(_plan_row(plan))

    def get_plan(self, plan_id: str) -> PlanRecord | None:
        with self._unit() as session:
            row = session.get(PlanRow, plan_id)
            return None if row is None else _plan_record(row)

    def claim_plan(self, plan_id: str, user_id: str, now: datetime) -> PlanRecord:
        """Mark a pending, unexpired plan of `user_id` confirmed, exactly once.

        The claim is one conditional UPDATE, so of two concurrent claims one wins.
        Otherwise raises ExecutionRefused with code unknown_plan, other_user,
        already_used, cancelled or expired (a pending plan found expired is marked so).
        """
        claimable = (
            col(PlanRow.id) == plan_id,
            col(PlanRow.status) == PlanStatus.PENDING,
            col(PlanRow.user_id) == user_id,
            col(PlanRow.expires_at) > now,
        )
        with self._unit() as session:
            if _set_status(session, claimable, PlanStatus.CONFIRMED):
                return _plan_record(_required(session, plan_id))
            row = session.get(PlanRow, plan_id)
            refusal = _refusal(row, plan_id, user_id, now, NOTHING_PLACED)
            if refusal.code == "expired":
                _mark_expired(session, plan_id, now)
        raise refusal

    def cancel_plan(self, plan_id: str, user_id: str) -> PlanRecord:
        """Cancel a pending plan of `user_id`; ExecutionRefused (same codes) otherwise."""
        cancellable = (
            col(PlanRow.id) == plan_id,
            col(PlanRow.status) == PlanStatus.PENDING,
            col(PlanRow.user_id) == user_id,
        )
        with self._unit() as session:
            if _set_status(session, cancellable, PlanStatus.CANCELLED):
                return _plan_record(_required(session, plan_id))
            row = session.get(PlanRow, plan_id)
            refusal = _refusal(row, plan_id, user_id, None, "")
        raise refusal

    def set_plan_status(self, plan_id: str, status: PlanStatus, now: datetime) -> None:
        """Set a plan's status; EXECUTED also records `now` as its execution time."""
        values: dict[str, Any] = {"status": status}
        if status is PlanStatus.EXECUTED:
            values["executed_at"] = now
        with self._unit() as session:
            done = session.exec(
                update(PlanRow).where(col(PlanRow.id) == plan_id).values(**values)
            ).rowcount
            if not done:
                raise StorageError(f"there is no plan {plan_id}")

    def cancel_pending_plans(self) -> int:
        """Withdraw every pending plan (locks or targets changed under them); how many."""
        with self._unit() as session:
            statement = (
                update(PlanRow)
                .where(col(PlanRow.status) == PlanStatus.PENDING)
                .values(status=PlanStatus.CANCELLED)
            )
            return session.exec(statement).rowcount

    def expire_plans(self, now: datetime) -> int:
        """Mark every pending plan whose time is up as expired; returns how many."""
        with self._unit() as session:
            return _mark_expired(session, None, now)

    # --- Execution lease ---------------------------------------------------------------
    def acquire_lease(
        self, plan_id: str, now: datetime, stale_before: datetime | None = None
    ) -> bool:
        """Take the account's execution lease for `plan_id`; False if someone holds it.

        A lease last refreshed before `stale_before` belonged to a process that died: it is
        taken over (its journal entries are reconciled like any other unresolved ones).
        """
        free: ColumnElement[bool] = col(ExecutionLeaseRow.plan_id).is_(None)
        if stale_before is not None:
            free = or_(free, col(ExecutionLeaseRow.acquired_at) < stale_before)
        with self._unit() as session:
            statement = (
                update(ExecutionLeaseRow)
                .where(col(ExecutionLeaseRow.id) == LEASE_ID)
                .where(free)
                .values(plan_id=plan_id, acquired_at=now)
            )
            return session.exec(statement).rowcount == 1

    def refresh_lease(self, plan_id: str, now: datetime) -> bool:
        """Show the holder is alive; False if `plan_id` no longer holds the lease."""
        with self._unit() as session:
            statement = (
                update(ExecutionLeaseRow)
                .where(col(ExecutionLeaseRow.id) == LEASE_ID)
                .where(col(ExecutionLeaseRow.plan_id) == plan_id)
                .values(acquired_at=now)
            )
            return session.exec(statement).rowcount == 1

    def release_lease(self, plan_id: str) -> bool:
        """Give the lease back if `plan_id` holds it; False if it did not."""
        with self._unit() as session:
            statement = (
                update(ExecutionLeaseRow)
                .where(col(ExecutionLeaseRow.id) == LEASE_ID)
                .where(col(ExecutionLeaseRow.plan_id) == plan_id)
                .values(plan_id=None, acquired_at=None)
            )
            return session.exec(statement).rowcount == 1

    def lease_holder(self) -> str | None:
        """The plan id executing now, if any."""
        with self._unit() as session:
            return _lease(session).plan_id

    def force_release_lease(self) -> str | None:
        """Free the lease whoever holds it (at start, after a crash); returns the holder."""
        with self._unit() as session:
            lease = _lease(session)
            holder = lease.plan_id
            lease.plan_id, lease.acquired_at = None, None
            return holder


def _set_status(session: Session, where: tuple[Any, ...], status: PlanStatus) -> bool:
    statement = update(PlanRow).where(*where).values(status=status)
    return session.exec(statement).rowcount == 1


def _mark_expired(session: Session, plan_id: str | None, now: datetime) -> int:
    statement = (
        update(PlanRow)
        .where(col(PlanRow.status) == PlanStatus.PENDING)
        .where(col(PlanRow.expires_at) <= now)
        .values(status=PlanStatus.EXPIRED)
    )
    if plan_id is not None:
        statement = statement.where(col(PlanRow.id) == plan_id)
    return session.exec(statement).rowcount


def _refusal(
    row: PlanRow | None, plan_id: str, user_id: str, now: datetime | None, note: str
) -> ExecutionRefused:
    """Why a plan could not be claimed or cancelled: words (ending in `note`) and a code."""
    code, message = _reason(row, plan_id, user_id, now)
    text = message if code == "busy" else f"{message} {FRESH}"
    return ExecutionRefused(f"{text} {note}".strip(), code=code)


def _reason(
    row: PlanRow | None, plan_id: str, user_id: str, now: datetime | None
) -> tuple[str, str]:
    if row is None:
        return "unknown_plan", f"There is no plan {plan_id}."
    if row.user_id != user_id:
        return "other_user", f"Plan {plan_id} belongs to another user; only they can use it."
    status = PlanStatus(row.status)
    if status in (PlanStatus.CONFIRMED, PlanStatus.EXECUTED):
        return "already_used", f"Plan {plan_id} was already {status}; a plan is used once only."
    if status is PlanStatus.CANCELLED:
        return "cancelled", (
            f"Plan {plan_id} was cancelled (by its owner, or because locks or targets "
            "changed after it was made)."
        )
    if status is PlanStatus.EXPIRED or (now is not None and row.expires_at <= now):
        return "expired", f"Plan {plan_id} expired at {row.expires_at:%H:%M:%S} UTC."
    # Only if the row changed between the conditional UPDATE and this read.
    return "busy", f"Plan {plan_id} could not be claimed just now; try again."


def _required(session: Session, plan_id: str) -> PlanRow:
    row = session.get(PlanRow, plan_id)
    if row is None:
        raise StorageError(f"there is no plan {plan_id}")
    return row


def _lease(session: Session) -> ExecutionLeaseRow:
    lease = session.exec(
        select(ExecutionLeaseRow).where(col(ExecutionLeaseRow.id) == LEASE_ID)
    ).first()
    if lease is None:
        raise StorageError("the execution_lease row is missing; run the database migrations")
    return lease


def _plan_row(plan: PlanRecord) -> PlanRow:
    return PlanRow(
        id=plan.id,
        user_id=plan.user_id,
        created_at=plan.created_at,
        expires_at=plan.expires_at,
        status=plan.status,
        content_hash=plan.content_hash,
        prices_json=_prices_json(plan.prices),
        payload_json=plan.payload_json,
        executed_at=plan.executed_at,
        mode=checked_mode(plan.mode),
    )


def _plan_record(row: PlanRow) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        user_id=row.user_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        content_hash=row.content_hash,
        prices={k: Decimal(v) for k, v in json.loads(row.prices_json).items()},
        payload_json=row.payload_json,
        status=PlanStatus(row.status),
        executed_at=row.executed_at,
        mode=row.mode,
    )


def _prices_json(prices: Mapping[str, Decimal]) -> str:
    return json.dumps({k: str(v) for k, v in sorted(prices.items())}, separators=(",", ":"))
