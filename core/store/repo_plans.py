"""Stored plans and their single-use claim."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, update

from core.app.records import PlanRecord
from core.domain.statuses import PlanStatus
from core.errors import FRESH_PLAN, ExecutionRefused, StorageError
from core.store.modes import checked_mode
from core.store.repo_base import StoreBase
from core.store.repo_settings import CONFIG_VERSION_KEY
from core.store.tables import KvRow, PlanRow

MAX_PLAN_ID = 32


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

    def claimable_plan(self, plan_id: str, user_id: str, now: datetime) -> PlanRecord:
        """The plan, if `user_id` may claim it now; otherwise the refusal `claim_plan` would
        give (a pending plan found expired is marked so). Changes nothing else."""
        with self._unit() as session:
            row = session.get(PlanRow, plan_id)
            if row is not None and _is_claimable(row, user_id, now):
                return _plan_record(row)
            refusal = _refusal(row, plan_id, user_id, now, NOTHING_PLACED)
            if refusal.code == "expired":
                _mark_expired(session, plan_id, now)
        raise refusal

    def claim_plan(
        self, plan_id: str, user_id: str, now: datetime, config_version: int | None = None
    ) -> PlanRecord:
        """Mark a pending, unexpired plan of `user_id` confirmed, exactly once.

        The claim is one conditional UPDATE, so of two concurrent claims one wins. With
        `config_version`, the claim holds only while the locks and targets are still at that
        version: the version row is locked and compared in the same transaction, so a lock
        or target change commits either before the claim (which it refuses, code
        "changed", and withdraws the plan) or after it.
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
            if config_version is not None and not _version_still(session, config_version):
                _set_status(session, claimable[:2], PlanStatus.CANCELLED)
                refusal = CONFIG_CHANGED
            elif _set_status(session, claimable, PlanStatus.CONFIRMED):
                return _plan_record(_required(session, plan_id))
            else:
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

    def withdraw_plan(self, plan_id: str) -> bool:
        """Cancel `plan_id` if it is still pending (a refusal that ends it); True if it was."""
        pending = (col(PlanRow.id) == plan_id, col(PlanRow.status) == PlanStatus.PENDING)
        with self._unit() as session:
            return _set_status(session, pending, PlanStatus.CANCELLED)


CONFIG_CHANGED = ExecutionRefused(
    "The locks or targets changed since this plan was made. Nothing was placed.",
    code="changed",
    next_step=FRESH_PLAN,
)


def _version_still(session: Session, version: int) -> bool:
    """Whether the locks and targets are at `version`; locks the version row until commit."""
    touched = session.exec(
        update(KvRow)
        .where(col(KvRow.key) == CONFIG_VERSION_KEY, col(KvRow.value) == str(version))
        .values(value=str(version))
    ).rowcount
    return touched == 1


def _is_claimable(row: PlanRow, user_id: str, now: datetime) -> bool:
    pending = PlanStatus(row.status) is PlanStatus.PENDING
    return pending and row.user_id == user_id and row.expires_at > now


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
    code, message = _reason(row, user_id, now)
    return ExecutionRefused(
        f"{message} {note}".strip(),
        code=code,
        data={"plan_id": plan_id},
        next_step="" if code == "busy" else FRESH_PLAN,
    )


def _reason(row: PlanRow | None, user_id: str, now: datetime | None) -> tuple[str, str]:
    """The refusal's code and words; they name no plan id (the user never saw one)."""
    if row is None:
        return "unknown_plan", "There is no such plan."
    if row.user_id != user_id:
        return "other_user", "This plan belongs to another user; only they can use it."
    status = PlanStatus(row.status)
    if status in (PlanStatus.CONFIRMED, PlanStatus.EXECUTED):
        return "already_used", f"This plan was already {status}; a plan is used once only."
    if status is PlanStatus.CANCELLED:
        return "cancelled", (
            "This plan was cancelled (by its owner, or because locks or targets "
            "changed after it was made)."
        )
    if status is PlanStatus.EXPIRED or (now is not None and row.expires_at <= now):
        return "expired", f"This plan expired at {row.expires_at:%H:%M:%S} UTC."
    # Only if the row changed between the conditional UPDATE and this read.
    return "busy", "This plan could not be claimed just now; try again."


def _required(session: Session, plan_id: str) -> PlanRow:
    row = session.get(PlanRow, plan_id)
    if row is None:
        raise StorageError(f"there is no plan {plan_id}")
    return row


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
        read_at=plan.read_at,
        runs_seen=plan.runs_seen,
        config_version=plan.config_version,
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
        read_at=row.read_at,
        runs_seen=row.runs_seen,
        config_version=row.config_version,
    )


def _prices_json(prices: Mapping[str, Decimal]) -> str:
    return json.dumps({k: str(v) for k, v in sorted(prices.items())}, separators=(",", ":"))
