"""What the store contract tests share: each store to test, and small builders.

`open_store(kind, request, clock)` is the in-memory FakeStore ("memory") or the SQL Store
on a migrated database of the test's own ("sqlite", or "postgres" when TEST_POSTGRES_URL
names a server); each takes lease times from `clock` (the SQL one instead of the database's).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from core.app.records import LeaseOwner, PlanRecord
from core.app.repositories import Store
from core.domain.models import Side
from core.domain.statuses import PlanStatus, RunOutcome
from core.errors import ExecutionRefused
from core.store.db import make_engine
from core.store.repo import Store as SqlStore
from tests.databases import SKIPPED, PostgresTemplate, postgres_url
from tests.fakes.clocks import NOW, FakeClock
from tests.fakes.store import FakeStore

OWNER, STRANGER = "111", "222"
TTL = timedelta(minutes=2)
ME = LeaseOwner(host="testhost", pid=1, boot="boot-1", token="token-1")
OTHER = LeaseOwner(host="testhost", pid=2, boot="boot-1", token="token-2")
STALE_S = 300
NO_SERVER = pytest.mark.skipif(postgres_url() is None, reason=SKIPPED)
KINDS = ["memory", "sqlite", pytest.param("postgres", marks=NO_SERVER)]


def open_store(kind: str, request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Store]:
    if kind == "memory":
        fake: Store = FakeStore(clock)
        yield fake
        return
    template: PostgresTemplate | None = None
    if kind == "sqlite":
        url = request.getfixturevalue("db_url")
    else:
        template = request.getfixturevalue("postgres_template")
        url = template.copy()
    sql = SqlStore(make_engine(url), clock=clock)
    yield sql
    sql.close()
    if template is not None:
        template.server.drop(url)


def a_plan(plan_id: str = "plan-1", **changes: object) -> PlanRecord:
    plan = PlanRecord(
        id=plan_id,
        user_id=OWNER,
        created_at=NOW,
        expires_at=NOW + TTL,
        content_hash="ab" * 32,
        prices={"BTC": Decimal("40000.5")},
        payload_json="{}",
        mode="live",
        config_version=1,
    )
    return replace(plan, **changes)  # type: ignore[arg-type]


def refused(store: Store, user_id: str = OWNER, at: timedelta = timedelta()) -> str:
    with pytest.raises(ExecutionRefused) as caught:
        store.claim_plan("plan-1", user_id, NOW + at)
    return caught.value.code


def status(store: Store, plan_id: str = "plan-1") -> PlanStatus | None:
    plan = store.get_plan(plan_id)
    return None if plan is None else plan.status


def an_order(store: Store, cid: str, run_id: int | None = None, mode: str = "live") -> None:
    store.journal_intent(
        "plan-1", run_id, cid, "BTC/EUR", Side.SELL, Decimal("0.1"), NOW, mode=mode
    )


def finish(store: Store, run_id: int, **figures: object) -> None:
    """Finish the run as full, two planned orders skipped, with these figures."""
    given: dict[str, object] = {
        "drift_after": None,
        "traded_value": Decimal(0),
        "fees": Decimal(0),
        "duration_s": 1.5,
        "orders_ok": 0,
        "orders_failed": 0,
        "orders_skipped": 2,
        "note": "done",
        "now": NOW + TTL,
    }
    store.finish_run(run_id, outcome=RunOutcome.FULL, **{**given, **figures})  # type: ignore[arg-type]
