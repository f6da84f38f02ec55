"""Drift alert state: alert once when a rebalance becomes due, re-arm once back in band."""

from __future__ import annotations

from datetime import datetime

from core.app.api import DriftAlert
from core.app.repositories import Store
from core.domain.models import Plan

ARMED_KEY = "alerts.armed"
FAILURES_KEY = "alerts.failures"
FAILURES_BEFORE_TELLING = 3


def after_check(store: Store, plan: Plan, now: datetime) -> DriftAlert | None:
    """An alert the first time the plan is due; none again until it has been back in band."""
    store.kv_set(FAILURES_KEY, "0", now)
    armed = store.kv_get(ARMED_KEY) != "0"
    if plan.rebalance_due and armed:
        store.kv_set(ARMED_KEY, "0", now)
        return DriftAlert(plan)
    if not plan.rebalance_due and not armed:
        store.kv_set(ARMED_KEY, "1", now)
    return None


def after_failure(store: Store, now: datetime) -> bool:
    """Count consecutive failed checks; True exactly once, when the users should be told."""
    failures = int(store.kv_get(FAILURES_KEY) or "0") + 1
    store.kv_set(FAILURES_KEY, str(failures), now)
    return failures == FAILURES_BEFORE_TELLING
