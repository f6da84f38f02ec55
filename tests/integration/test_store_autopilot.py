"""What the autopilot asks of the real store: runs per trigger since a moment, by mode."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.store.db import make_engine
from core.store.repo import Store
from tests.integration.test_store import a_plan

NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 1, 12, tzinfo=UTC)

pytestmark = pytest.mark.both_engines


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(make_engine(db_url))
    yield store
    store.close()


def start(store: Store, n: int, at: datetime, *, trigger: str, mode: str = "paper") -> None:
    plan_id = f"plan-{n}"
    store.add_plan(a_plan(plan_id, mode=mode))
    store.start_run(plan_id, "111", Decimal(30), at, mode=mode, trigger=trigger)


def test_runs_started_since_counts_one_trigger_in_one_mode_from_a_moment(store: Store) -> None:
    start(store, 1, MIDNIGHT - timedelta(minutes=1), trigger="autopilot")
    start(store, 2, MIDNIGHT, trigger="autopilot")
    start(store, 3, NOW, trigger="autopilot")
    start(store, 4, NOW, trigger="manual")
    start(store, 5, NOW, trigger="autopilot", mode="live")
    assert store.runs_started_since(MIDNIGHT, mode="paper", trigger="autopilot") == 2
    assert store.runs_started_since(MIDNIGHT, mode="live", trigger="autopilot") == 1
    assert store.runs_started_since(MIDNIGHT, mode="paper", trigger="manual") == 1


def test_stats_and_history_carry_each_runs_trigger(store: Store) -> None:
    start(store, 1, NOW, trigger="autopilot")
    start(store, 2, NOW + timedelta(minutes=1), trigger="manual")
    assert store.stats(mode="paper").runs_by_trigger == {"autopilot": 1, "manual": 1}
    assert [r.trigger for r in store.history(5, mode="paper")] == ["manual", "autopilot"]
