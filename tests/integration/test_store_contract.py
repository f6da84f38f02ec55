"""The in-memory FakeStore and the SQL Store give the same answers to the same calls.

Each test runs on each, as `[memory]`, `[sqlite]` (a migrated SQLite file of its own) and
`[postgres]` (when TEST_POSTGRES_URL names a server; see tests/databases.py):
the fast unit tests of execution, the order desk and recovery (tests/unit/test_*_on_fakes)
trust the fake only as far as this contract holds. The SQL store's own behaviour (exact
decimals, aware times, races between processes, PostgreSQL) is in test_store.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from core.app.records import FillRecord, LeaseOwner, PlanRecord
from core.app.repositories import Store
from core.domain.models import Side
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome
from core.errors import ExecutionRefused, StorageError
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


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


NO_SERVER = pytest.mark.skipif(postgres_url() is None, reason=SKIPPED)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=NO_SERVER)])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[Store]:
    """Each store; all take lease times from `clock` (the SQL one instead of the database's)."""
    if request.param == "memory":
        fake: Store = FakeStore(clock)
        yield fake
        return
    template: PostgresTemplate | None = None
    if request.param == "sqlite":
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


# -- plans ------------------------------------------------------------------------------------


def test_a_plan_is_claimed_once_by_its_owner(store: Store) -> None:
    store.add_plan(a_plan())
    assert store.claimable_plan("plan-1", OWNER, NOW).status is PlanStatus.PENDING
    assert store.claim_plan("plan-1", OWNER, NOW, 1).status is PlanStatus.CONFIRMED
    assert refused(store) == "already_used"
    store.set_plan_status("plan-1", PlanStatus.EXECUTED, NOW)
    assert (refused(store), store.get_plan("plan-1").executed_at) == ("already_used", NOW)  # type: ignore[union-attr]


def test_a_plan_past_its_expiry_is_refused_and_marked_expired(store: Store) -> None:
    store.add_plan(a_plan())
    with pytest.raises(ExecutionRefused) as caught:
        store.claimable_plan("plan-1", OWNER, NOW + TTL)
    assert (caught.value.code, status(store)) == ("expired", PlanStatus.EXPIRED)
    assert refused(store, at=-TTL) == "expired"  # even before its time, once marked


def test_only_the_owner_claims_or_cancels_and_a_stranger_leaves_it_pending(store: Store) -> None:
    store.add_plan(a_plan())
    assert refused(store, STRANGER) == "other_user"
    with pytest.raises(ExecutionRefused, match="another user"):
        store.cancel_plan("plan-1", STRANGER)
    assert status(store) is PlanStatus.PENDING
    assert store.cancel_plan("plan-1", OWNER).status is PlanStatus.CANCELLED
    assert refused(store) == "cancelled"


def test_an_unknown_plan_is_refused_and_a_plan_id_is_stored_once(store: Store) -> None:
    assert (refused(store), store.get_plan("plan-1")) == ("unknown_plan", None)
    store.add_plan(a_plan())
    with pytest.raises(StorageError):
        store.add_plan(a_plan())
    with pytest.raises(StorageError):
        store.add_plan(a_plan("x" * 33))
    with pytest.raises(StorageError):
        store.set_plan_status("nope", PlanStatus.EXECUTED, NOW)


def test_a_claim_under_other_locks_or_targets_withdraws_the_plan(store: Store) -> None:
    store.add_plan(a_plan())
    store.add_plan(a_plan("plan-2"))
    with pytest.raises(ExecutionRefused) as caught:
        store.claim_plan("plan-1", OWNER, NOW, config_version=0)
    assert (caught.value.code, status(store)) == ("changed", PlanStatus.CANCELLED)
    assert store.withdraw_plan("plan-2") is True
    assert (store.withdraw_plan("plan-2"), status(store, "plan-2")) == (False, PlanStatus.CANCELLED)


def test_a_change_of_locks_or_targets_bumps_the_version_and_withdraws_pending_plans(
    store: Store,
) -> None:
    store.add_plan(a_plan())
    version = store.config_version()
    assert store.lock("BTC", OWNER, NOW, "hodl") is True
    assert store.lock("BTC", STRANGER, NOW) is False
    assert (store.config_version(), status(store)) == (version + 1, PlanStatus.CANCELLED)
    store.set_targets({"ETH": Decimal(30), "BTC": Decimal(70)}, NOW)
    assert list(store.get_targets()) == ["BTC", "ETH"]
    assert (store.unlock("BTC"), store.unlock("BTC"), store.unlock_all()) == (True, False, 0)
    assert store.config_version() == version + 3
    assert store.seed_targets_if_empty({"SOL": Decimal(100)}, NOW) is False
    basis = store.plan_basis()
    assert (basis.config_version, basis.locks, basis.runs_seen) == (version + 3, (), 0)


# -- the lease ----------------------------------------------------------------------------------


def test_the_lease_is_held_by_one_holder_and_refreshed_only_by_it(store: Store) -> None:
    assert store.acquire_lease("plan-1", ME, STALE_S) is True
    assert store.acquire_lease("reconcile", OTHER, STALE_S) is False
    assert store.refresh_lease("plan-1", ME) is True
    assert store.refresh_lease("plan-1", OTHER) is False
    assert store.release_lease("plan-1", OTHER) is False
    assert store.lease_holder() == "plan-1"
    assert store.release_lease("plan-1", ME) is True
    assert (store.lease_holder(), store.refresh_lease("plan-1", ME)) == (None, False)


def test_a_stale_or_abandoned_lease_is_taken_over(store: Store, clock: FakeClock) -> None:
    store.acquire_lease("plan-1", ME, STALE_S)
    clock.advance(seconds=STALE_S - 1)
    assert store.refresh_lease("plan-1", ME) is True  # refreshed: fresh again for STALE_S
    clock.advance(seconds=STALE_S - 1)
    assert store.acquire_lease("reconcile", OTHER, STALE_S) is False
    clock.advance(seconds=2)
    assert store.acquire_lease("reconcile", OTHER, STALE_S) is True
    assert store.refresh_lease("plan-1", ME) is False  # the old holder lost it
    assert store.acquire_lease("plan-2", ME, STALE_S, lambda _h, owner: owner == OTHER) is True
    assert store.lease_holder() == "plan-2"


# -- the journal and fills ---------------------------------------------------------------------


def test_an_order_is_journaled_as_intent_then_sent_then_filled(store: Store) -> None:
    store.add_plan(a_plan())
    run_id = store.start_run("plan-1", OWNER, Decimal(5), NOW, mode="live")
    an_order(store, "cid-1", run_id)
    (intent,) = store.journal_unresolved("live")
    assert (intent.status, intent.run_id, intent.exchange_order_id) == (
        OrderStatus.INTENT,
        run_id,
        None,
    )
    store.journal_update("cid-1", status=OrderStatus.SENT, now=NOW)
    assert [e.status for e in store.journal_unresolved()] == [OrderStatus.SENT]
    store.journal_update(
        "cid-1",
        status=OrderStatus.FILLED,
        exchange_order_id="TX1",
        filled_amount=Decimal("0.1"),
        cost=Decimal(4000),
        fee=Decimal(16),
        now=NOW,
    )
    filled = store.journal_update("cid-1", status=OrderStatus.FILLED, error="late", now=NOW)
    assert (filled.exchange_order_id, filled.cost, filled.error) == ("TX1", Decimal(4000), "late")
    assert store.journal_unresolved() == []
    assert store.journal_for_plan("plan-1") == store.journal_for_ids(["cid-1", "nope"]) == [filled]


def test_the_journal_refuses_a_second_intent_an_unknown_plan_and_an_unknown_order(
    store: Store,
) -> None:
    store.add_plan(a_plan())
    an_order(store, "cid-1")
    for write in (
        lambda: an_order(store, "cid-1"),
        lambda: an_order(store, "cid-2", mode="demo"),
        lambda: store.journal_update("cid-9", status=OrderStatus.SENT, now=NOW),
    ):
        with pytest.raises(StorageError):
            write()
    with pytest.raises(StorageError):
        store.journal_intent(
            "plan-9", None, "cid-3", "BTC/EUR", Side.BUY, Decimal(1), NOW, mode="live"
        )
    assert [e.client_order_id for e in store.journal_for_plan("plan-1")] == ["cid-1"]


def test_unresolved_orders_are_listed_by_mode(store: Store) -> None:
    store.add_plan(a_plan())
    an_order(store, "live-1")
    an_order(store, "paper-1", mode="paper")
    assert [e.client_order_id for e in store.journal_unresolved("paper")] == ["paper-1"]
    assert [e.client_order_id for e in store.journal_unresolved()] == ["live-1", "paper-1"]


# -- runs ----------------------------------------------------------------------------------------


def test_a_run_that_placed_an_order_counts_for_the_cooldown_and_supersedes_plans(
    store: Store,
) -> None:
    store.add_plan(a_plan())
    first = store.start_run("plan-1", OWNER, Decimal(5), NOW, mode="live")
    an_order(store, "cid-1", first)
    store.journal_update("cid-1", status=OrderStatus.REJECTED, now=NOW)
    assert store.last_executed_run("live") is None  # it placed nothing
    assert store.plan_basis().runs_seen == 0  # the run is still going
    second = store.start_run("plan-1", OWNER, Decimal(5), NOW + TTL, mode="live")
    an_order(store, "cid-2", second)
    assert store.last_executed_run("live").id == second  # type: ignore[union-attr]
    assert store.superseding_run(first, "live").id == second  # type: ignore[union-attr]
    assert (store.superseding_run(second, "live"), store.last_executed_run("paper")) == (None, None)
    assert [r.id for r in store.unfinished_runs("live")] == [second, first]


def test_a_finished_run_keeps_its_figures_and_orders(store: Store) -> None:
    store.add_plan(a_plan())
    run_id = store.start_run("plan-1", OWNER, Decimal(5), NOW, mode="live", trigger="auto")
    an_order(store, "cid-1", run_id)
    store.journal_update("cid-1", status=OrderStatus.FILLED, cost=Decimal(40), now=NOW)
    finish(store, run_id, drift_after=Decimal(1), traded_value=Decimal(40), orders_ok=1)
    (run,) = store.history(5, mode="live")
    assert (run.outcome, run.finished_at, run.orders_skipped, run.trigger) == (
        RunOutcome.FULL,
        NOW + TTL,
        2,
        "auto",
    )
    assert [e.client_order_id for e in run.orders] == ["cid-1"]
    assert store.runs_by_id([run_id]) == [run]
    assert (store.unfinished_runs(), store.plan_basis().runs_seen) == ([], run_id)
    stats = store.stats("live")
    assert (stats.runs, stats.total_traded, stats.avg_drift_after) == (1, Decimal(40), Decimal(1))
    assert (dict(stats.volume_by_symbol), stats.last_run) == ({"BTC/EUR": Decimal(40)}, run)
    assert store.stats("paper").runs == 0
    with pytest.raises(StorageError):
        finish(store, 99)


# -- the unit of work -----------------------------------------------------------------------------


def test_a_unit_of_work_commits_as_one_or_not_at_all(store: Store) -> None:
    store.add_plan(a_plan())
    with store.unit_of_work():
        store.claim_plan("plan-1", OWNER, NOW)
        store.start_run("plan-1", OWNER, Decimal(5), NOW, mode="live")
    assert (status(store), store.unfinished_runs()) == (PlanStatus.PENDING, [])
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        store.claim_plan("plan-1", OWNER, NOW)
        raise RuntimeError("crash before the commit")
    assert status(store) is PlanStatus.PENDING
    with store.unit_of_work() as uow:
        store.claim_plan("plan-1", OWNER, NOW)
        run_id = store.start_run("plan-1", OWNER, Decimal(5), NOW, mode="live")
        uow.commit()
        store.set_plan_status("plan-1", PlanStatus.EXECUTED, NOW)  # after the commit: dropped
    assert (status(store), [r.id for r in store.unfinished_runs()]) == (
        PlanStatus.CONFIRMED,
        [run_id],
    )


def test_units_of_work_do_not_nest_and_a_refusal_inside_one_is_undone(store: Store) -> None:
    store.add_plan(a_plan())
    with store.unit_of_work(), pytest.raises(StorageError), store.unit_of_work():
        pass
    with pytest.raises(ExecutionRefused), store.unit_of_work() as uow:
        store.claim_plan("plan-1", OWNER, NOW, config_version=0)  # would withdraw it
        uow.commit()
    assert status(store) is PlanStatus.PENDING


# -- fills, preferences, small state -------------------------------------------------------------


def test_fills_preferences_and_small_state_are_kept(store: Store) -> None:
    fill = FillRecord(
        "TX1",
        "cid-1",
        "BTC/EUR",
        Side.SELL,
        Decimal("0.1"),
        Decimal(40000),
        Decimal(4000),
        Decimal(16),
        "EUR",
        NOW,
        "live",
    )
    assert (store.record_fill(fill), store.record_fill(replace(fill, fee=Decimal(1)))) == (
        True,
        False,
    )
    assert store.fills("BTC/EUR", "live") == [replace(fill, fee=Decimal(1))]
    assert store.fills(mode="paper") == []
    assert store.alerts_enabled(OWNER) is True
    store.set_alerts(OWNER, False)
    store.kv_set("k", "v1", NOW)
    store.kv_set("k", "v2", NOW)
    assert (store.alerts_enabled(OWNER), store.kv_get("k"), store.kv_get("none")) == (
        False,
        "v2",
        None,
    )
