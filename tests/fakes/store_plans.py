"""The in-memory store's plans and their single-use claim (as `core.store.repo_plans`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.app.records import PlanRecord
from core.domain.statuses import PlanStatus
from core.errors import FRESH_PLAN, ExecutionRefused, StorageError
from tests.fakes.store_base import CONFIG_VERSION_KEY, FakeStoreBase, State, checked_mode

MAX_PLAN_ID = 32
NOTHING_PLACED = "Nothing was placed."


class FakePlans(FakeStoreBase):
    def add_plan(self, plan: PlanRecord) -> None:
        if not plan.id or len(plan.id) > MAX_PLAN_ID:
            raise StorageError(f"a plan id has 1 to {MAX_PLAN_ID} characters, not {plan.id!r}")
        with self._tx("add_plan") as s:
            if plan.id in s.plans:
                raise StorageError(f"the database failed: plan {plan.id} exists")
            s.plans[plan.id] = replace(plan, mode=checked_mode(plan.mode))

    def get_plan(self, plan_id: str) -> PlanRecord | None:
        with self._tx("get_plan") as s:
            return s.plans.get(plan_id)

    def claimable_plan(self, plan_id: str, user_id: str, now: datetime) -> PlanRecord:
        with self._tx("claimable_plan") as s:
            plan = s.plans.get(plan_id)
            if plan is not None and _claimable(plan, user_id, now):
                return plan
            refusal = _refusal(plan, plan_id, user_id, now, NOTHING_PLACED)
            if refusal.code == "expired":
                _mark_expired(s, plan_id, now)
        raise refusal

    def claim_plan(
        self, plan_id: str, user_id: str, now: datetime, config_version: int | None = None
    ) -> PlanRecord:
        with self._tx("claim_plan") as s:
            plan = s.plans.get(plan_id)
            if config_version is not None and s.kv.get(CONFIG_VERSION_KEY) != str(config_version):
                _set_if_pending(s, plan_id, PlanStatus.CANCELLED)
                refusal = ExecutionRefused(
                    "The locks or targets changed since this plan was made. " + NOTHING_PLACED,
                    code="changed",
                    next_step=FRESH_PLAN,
                )
            elif plan is not None and _claimable(plan, user_id, now):
                s.plans[plan_id] = claimed = replace(plan, status=PlanStatus.CONFIRMED)
                return claimed
            else:
                refusal = _refusal(plan, plan_id, user_id, now, NOTHING_PLACED)
                if refusal.code == "expired":
                    _mark_expired(s, plan_id, now)
        raise refusal

    def cancel_plan(self, plan_id: str, user_id: str) -> PlanRecord:
        with self._tx("cancel_plan") as s:
            plan = s.plans.get(plan_id)
            if plan is not None and plan.user_id == user_id:
                cancelled = _set_if_pending(s, plan_id, PlanStatus.CANCELLED)
                if cancelled is not None:
                    return cancelled
            refusal = _refusal(plan, plan_id, user_id, None, "")
        raise refusal

    def set_plan_status(self, plan_id: str, status: PlanStatus, now: datetime) -> None:
        with self._tx("set_plan_status") as s:
            plan = s.plans.get(plan_id)
            if plan is None:
                raise StorageError(f"there is no plan {plan_id}")
            executed = now if status is PlanStatus.EXECUTED else plan.executed_at
            s.plans[plan_id] = replace(plan, status=status, executed_at=executed)

    def withdraw_plan(self, plan_id: str) -> bool:
        with self._tx("withdraw_plan") as s:
            return _set_if_pending(s, plan_id, PlanStatus.CANCELLED) is not None


def _claimable(plan: PlanRecord, user_id: str, now: datetime) -> bool:
    pending = plan.status is PlanStatus.PENDING
    return pending and plan.user_id == user_id and plan.expires_at > now


def _set_if_pending(s: State, plan_id: str, status: PlanStatus) -> PlanRecord | None:
    plan = s.plans.get(plan_id)
    if plan is None or plan.status is not PlanStatus.PENDING:
        return None
    s.plans[plan_id] = changed = replace(plan, status=status)
    return changed


def _mark_expired(s: State, plan_id: str, now: datetime) -> None:
    plan = s.plans[plan_id]
    if plan.status is PlanStatus.PENDING and plan.expires_at <= now:
        s.plans[plan_id] = replace(plan, status=PlanStatus.EXPIRED)


def _refusal(
    plan: PlanRecord | None, plan_id: str, user_id: str, now: datetime | None, note: str
) -> ExecutionRefused:
    code, message = _reason(plan, user_id, now)
    return ExecutionRefused(
        f"{message} {note}".strip(),
        code=code,
        data={"plan_id": plan_id},
        next_step="" if code == "busy" else FRESH_PLAN,
    )


def _reason(plan: PlanRecord | None, user_id: str, now: datetime | None) -> tuple[str, str]:
    if plan is None:
        return "unknown_plan", "There is no such plan."
    if plan.user_id != user_id:
        return "other_user", "This plan belongs to another user; only they can use it."
    if plan.status in (PlanStatus.CONFIRMED, PlanStatus.EXECUTED):
        return "already_used", f"This plan was already {plan.status}; a plan is used once only."
    if plan.status is PlanStatus.CANCELLED:
        return "cancelled", (
            "This plan was cancelled (by its owner, or because locks or targets "
            "changed after it was made)."
        )
    if plan.status is PlanStatus.EXPIRED or (now is not None and plan.expires_at <= now):
        return "expired", f"This plan expired at {plan.expires_at:%H:%M:%S} UTC."
    return "busy", "This plan could not be claimed just now; try again."
