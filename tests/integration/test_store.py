"""The store on real migrated databases (SQLite files and PostgreSQL): every method, restarts,
races."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TypeVar

import pytest
from sqlalchemy.exc import IntegrityError

from bot.telegram import messages as telegram_words
from core.app.ports import PaperBook
from core.app.records import FillRecord, LeaseOwner, PlanRecord
from core.domain.models import Side
from core.domain.orders import OrderResult, OrderType
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome
from core.errors import ExecutionRefused, StorageError
from core.store.db import make_engine
from core.store.repo import Store

T = TypeVar("T")
NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)
TTL = timedelta(minutes=2)
EXACT = Decimal("0.12345678901234567890")
OWNER = "111"
STRANGER = "222"


pytestmark = pytest.mark.both_engines  # every test that uses a database, on each engine


@pytest.fixture
def url(db_url: str) -> str:
    """A migrated database of this test's own (the migrations are tested on their own in
    test_migrations.py)."""
    return db_url


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    store = Store(make_engine(url))
    yield store
    store.close()


def reopen(url: str) -> Store:
    """A second Store on the same file, as after a restart or from another process."""
    return Store(make_engine(url))


def a_plan(plan_id: str = "plan-1", user_id: str = OWNER, **changes: object) -> PlanRecord:
    plan = PlanRecord(
        id=plan_id,
        user_id=user_id,
        created_at=NOW,
        expires_at=NOW + TTL,
        content_hash="ab" * 32,
        prices={"BTC": Decimal("40000.5"), "ETH": EXACT},
        payload_json='{"orders": []}',
    )
    return replace(plan, **changes)  # type: ignore[arg-type]


def status_of(store: Store, plan_id: str) -> PlanStatus | None:
    plan = store.get_plan(plan_id)
    return None if plan is None else plan.status


def refusal(call: Callable[[], object]) -> ExecutionRefused:
    with pytest.raises(ExecutionRefused) as caught:
        call()
    return caught.value


def in_threads(n: int, work: Callable[[int], T]) -> list[T | BaseException]:
    """Run `work(i)` in n threads released together; results or exceptions, by i."""
    barrier = threading.Barrier(n)
    results: list[T | BaseException] = [RuntimeError("did not run")] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as e:
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


ME = LeaseOwner(host="testhost", pid=1, boot="boot-1", token="token-1")


def take(store: Store, holder: str, owner: LeaseOwner = ME) -> bool:
    """Take the lease for `holder` as `owner` (stale after 300 s by the database's clock)."""
    return store.acquire_lease(holder, owner, 300)


def sent_order(store: Store, plan_id: str, run_id: int | None, cid: str, **update: object) -> None:
    store.journal_intent(
        plan_id, run_id, cid, "BTC/EUR", Side.BUY, Decimal("0.01"), NOW, mode="paper"
    )
    if update:
        store.journal_update(cid, now=LATER, **update)  # type: ignore[arg-type]


# --- Targets ----------------------------------------------------------------------------
def test_a_new_database_has_no_targets(store: Store) -> None:
    assert store.get_targets() == {}


def test_set_targets_replaces_them_all_ordered_by_weight_then_symbol(store: Store) -> None:
    store.set_targets({"XRP": Decimal(50), "DOT": Decimal(50)}, NOW)

    store.set_targets({"ADA": Decimal(10), "SOL": Decimal(20), "ETH": Decimal(20)}, LATER)

    assert list(store.get_targets().items()) == [
        ("ETH", Decimal(20)),
        ("SOL", Decimal(20)),
        ("ADA", Decimal(10)),
    ]


def test_seed_targets_if_empty_seeds_only_an_empty_table(store: Store) -> None:
    assert store.seed_targets_if_empty({"BTC": Decimal(100)}, NOW) is True

    assert store.seed_targets_if_empty({"ETH": Decimal(100)}, LATER) is False
    assert store.get_targets() == {"BTC": Decimal(100)}


def test_decimals_round_trip_exactly(store: Store) -> None:
    weights = {"BTC": EXACT, "ETH": Decimal("1E+2"), "SOL": Decimal("0.10")}

    store.set_targets(weights, NOW)

    stored = store.get_targets()
    assert stored == weights
    assert str(stored["BTC"]) == "0.12345678901234567890"
    assert str(stored["SOL"]) == "0.10"


def test_a_failed_unit_of_work_changes_nothing(store: Store) -> None:
    store.set_targets({"BTC": Decimal(100)}, NOW)

    with pytest.raises(StorageError):
        store.set_targets({"ETH": Decimal(50), "SOL": 50.0}, LATER)  # type: ignore[dict-item]

    assert store.get_targets() == {"BTC": Decimal(100)}


def test_money_refuses_floats_and_nan(store: Store) -> None:
    with pytest.raises(StorageError, match="float"):
        store.set_targets({"BTC": 0.1}, NOW)  # type: ignore[dict-item]
    with pytest.raises(StorageError, match="finite"):
        store.set_targets({"BTC": Decimal("NaN")}, NOW)


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(StorageError, match="naive"):
        store.set_targets({"BTC": Decimal(100)}, datetime(2026, 1, 12, 12, 0))


def test_times_come_back_aware_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    store.lock("BTC", OWNER, datetime(2026, 1, 12, 13, 0, tzinfo=paris))

    (lock,) = store.locks()

    assert lock.locked_at == NOW
    assert lock.locked_at.tzinfo == UTC


# --- Locks ------------------------------------------------------------------------------
def test_locking_twice_is_harmless_and_keeps_the_first_lock(store: Store) -> None:
    assert store.lock("BTC", OWNER, NOW, reason="long term") is True

    assert store.lock("BTC", STRANGER, LATER) is False

    (lock,) = store.locks()
    assert (lock.symbol, lock.locked_by, lock.locked_at, lock.reason) == (
        "BTC",
        OWNER,
        NOW,
        "long term",
    )


def test_locks_are_listed_by_symbol(store: Store) -> None:
    store.lock("SOL", OWNER, NOW)
    store.lock("ADA", OWNER, NOW)

    assert [lock.symbol for lock in store.locks()] == ["ADA", "SOL"]


def test_unlock_says_whether_there_was_a_lock(store: Store) -> None:
    store.lock("BTC", OWNER, NOW)

    assert store.unlock("BTC") is True
    assert store.unlock("BTC") is False
    assert store.locks() == []


def test_unlock_all_counts_the_locks_it_removed(store: Store) -> None:
    store.lock("BTC", OWNER, NOW)
    store.lock("ETH", OWNER, NOW)

    assert store.unlock_all() == 2
    assert store.unlock_all() == 0


# --- Plans ------------------------------------------------------------------------------
def test_a_plan_round_trips_with_exact_prices(store: Store) -> None:
    store.add_plan(a_plan())

    plan = store.get_plan("plan-1")

    assert plan == a_plan()
    assert plan is not None and plan.prices["ETH"] == EXACT


def test_an_unknown_plan_is_none(store: Store) -> None:
    assert store.get_plan("nope") is None


def test_a_plan_id_longer_than_32_characters_is_refused(store: Store) -> None:
    with pytest.raises(StorageError, match="32"):
        store.add_plan(a_plan("x" * 33))


def test_a_plan_id_cannot_be_stored_twice(store: Store) -> None:
    store.add_plan(a_plan())

    with pytest.raises(StorageError) as caught:
        store.add_plan(a_plan(payload_json="{}"))

    assert isinstance(caught.value.__cause__, IntegrityError)
    plan = store.get_plan("plan-1")
    assert plan is not None and plan.payload_json == '{"orders": []}'


def test_a_plan_is_claimed_once_by_its_owner(store: Store) -> None:
    store.add_plan(a_plan())

    claimed = store.claim_plan("plan-1", OWNER, LATER)

    assert claimed.status is PlanStatus.CONFIRMED
    assert claimed.prices == a_plan().prices


def test_a_second_claim_is_refused_as_already_used(store: Store) -> None:
    store.add_plan(a_plan())
    store.claim_plan("plan-1", OWNER, LATER)

    refused = refusal(lambda: store.claim_plan("plan-1", OWNER, LATER))

    assert refused.code == "already_used"
    assert "already confirmed" in str(refused)
    assert "/rebalance" in telegram_words.refused(refused)


def test_an_executed_plan_is_refused_as_already_used(store: Store) -> None:
    store.add_plan(a_plan())
    store.claim_plan("plan-1", OWNER, LATER)
    store.set_plan_status("plan-1", PlanStatus.EXECUTED, LATER)

    refused = refusal(lambda: store.claim_plan("plan-1", OWNER, LATER))

    assert refused.code == "already_used"
    assert "already executed" in str(refused)


def test_concurrent_claims_from_two_stores_let_exactly_one_win(url: str) -> None:
    stores = [reopen(url), reopen(url)]
    stores[0].add_plan(a_plan())

    results = in_threads(2, lambda i: stores[i].claim_plan("plan-1", OWNER, LATER))

    wins = [r for r in results if isinstance(r, PlanRecord)]
    losses = [r for r in results if isinstance(r, ExecutionRefused)]
    assert len(wins) == 1
    assert [r.code for r in losses] == ["already_used"]
    for s in stores:
        s.close()


def test_concurrent_claims_through_one_store_let_exactly_one_win(store: Store) -> None:
    store.add_plan(a_plan())

    results = in_threads(8, lambda _: store.claim_plan("plan-1", OWNER, LATER))

    assert sum(isinstance(r, PlanRecord) for r in results) == 1
    assert {r.code for r in results if isinstance(r, ExecutionRefused)} == {"already_used"}


def test_another_users_claim_is_refused_and_the_plan_stays_pending(store: Store) -> None:
    store.add_plan(a_plan())

    refused = refusal(lambda: store.claim_plan("plan-1", STRANGER, LATER))

    assert refused.code == "other_user"
    assert "Nothing was placed" in str(refused)
    assert store.claim_plan("plan-1", OWNER, LATER).status is PlanStatus.CONFIRMED


def test_an_unknown_plan_is_refused(store: Store) -> None:
    refused = refusal(lambda: store.claim_plan("nope", OWNER, NOW))

    assert refused.code == "unknown_plan"
    assert "/rebalance" in telegram_words.refused(refused)


def test_an_expired_plan_is_refused_and_marked_expired(store: Store) -> None:
    store.add_plan(a_plan())

    refused = refusal(lambda: store.claim_plan("plan-1", OWNER, NOW + TTL))

    assert refused.code == "expired"
    assert "expired at 12:02:00 UTC" in str(refused)
    assert status_of(store, "plan-1") is PlanStatus.EXPIRED
    assert refusal(lambda: store.claim_plan("plan-1", OWNER, NOW)).code == "expired"


def test_a_cancelled_plan_is_refused(store: Store) -> None:
    store.add_plan(a_plan())
    store.cancel_plan("plan-1", OWNER)

    assert refusal(lambda: store.claim_plan("plan-1", OWNER, LATER)).code == "cancelled"


def test_only_the_owner_cancels_and_only_a_pending_plan(store: Store) -> None:
    store.add_plan(a_plan())

    assert refusal(lambda: store.cancel_plan("plan-1", STRANGER)).code == "other_user"
    assert store.cancel_plan("plan-1", OWNER).status is PlanStatus.CANCELLED
    assert refusal(lambda: store.cancel_plan("plan-1", OWNER)).code == "cancelled"


def test_a_confirmed_plan_can_no_longer_be_cancelled(store: Store) -> None:
    store.add_plan(a_plan())
    store.claim_plan("plan-1", OWNER, LATER)

    refused = refusal(lambda: store.cancel_plan("plan-1", OWNER))

    assert refused.code == "already_used"
    assert "Nothing was placed" not in str(refused)


def test_set_plan_status_executed_records_when(store: Store) -> None:
    store.add_plan(a_plan())

    store.set_plan_status("plan-1", PlanStatus.EXECUTED, LATER)

    plan = store.get_plan("plan-1")
    assert plan is not None
    assert (plan.status, plan.executed_at) == (PlanStatus.EXECUTED, LATER)


def test_set_plan_status_of_an_unknown_plan_is_a_storage_error(store: Store) -> None:
    with pytest.raises(StorageError, match="no plan"):
        store.set_plan_status("nope", PlanStatus.EXECUTED, NOW)


def test_expire_plans_marks_only_overdue_pending_plans(store: Store) -> None:
    store.add_plan(a_plan("old"))
    store.add_plan(a_plan("fresh", expires_at=NOW + timedelta(hours=1)))
    store.add_plan(a_plan("done"))
    store.claim_plan("done", OWNER, LATER)

    assert store.expire_plans(NOW + TTL) == 1

    assert [status_of(store, p) for p in ("old", "fresh", "done")] == [
        PlanStatus.EXPIRED,
        PlanStatus.PENDING,
        PlanStatus.CONFIRMED,
    ]


# --- Execution lease --------------------------------------------------------------------
def test_the_lease_is_acquired_once(store: Store) -> None:
    assert take(store, "plan-1") is True

    assert take(store, "plan-2") is False
    assert store.lease_holder() == "plan-1"


def test_only_the_holder_releases_the_lease(store: Store) -> None:
    take(store, "plan-1")

    assert store.release_lease("plan-2") is False
    assert store.release_lease("plan-1") is True
    assert store.lease_holder() is None
    assert take(store, "plan-2") is True


def test_force_release_frees_the_lease_after_a_crash(url: str, store: Store) -> None:
    take(store, "plan-1")
    store.close()

    restarted = reopen(url)

    assert restarted.lease_holder() == "plan-1"
    assert restarted.force_release_lease() == "plan-1"
    assert restarted.force_release_lease() is None
    assert take(restarted, "plan-2") is True
    restarted.close()


def test_concurrent_lease_requests_let_exactly_one_in(url: str) -> None:
    stores = [reopen(url) for _ in range(4)]

    results = in_threads(4, lambda i: take(stores[i], f"plan-{i}"))

    assert results.count(True) == 1
    assert results.count(False) == 3
    for s in stores:
        s.close()


# --- Units of work side by side ---------------------------------------------------------------
def test_targets_replaced_by_two_processes_at_once_are_one_whole_set_never_a_mix(
    url: str,
) -> None:
    stores = [reopen(url), reopen(url)]
    sets = [{"BTC": Decimal(60), "ETH": Decimal(40)}, {"SOL": Decimal(70), "ADA": Decimal(30)}]

    for _ in range(10):
        results = in_threads(2, lambda i: stores[i].set_targets(sets[i], NOW))

        assert results == [None, None]
        assert stores[0].get_targets() in sets
    for s in stores:
        s.close()


def test_a_new_key_written_by_four_processes_at_once_is_stored_without_an_error(
    url: str,
) -> None:
    stores = [reopen(url) for _ in range(4)]

    for key in ("a", "b", "c", "d", "e"):
        results = in_threads(4, lambda i, key=key: stores[i].kv_set(key, str(i), NOW))

        assert results == [None] * 4
        assert stores[0].kv_get(key) in {"0", "1", "2", "3"}
    for s in stores:
        s.close()


# --- Journal ----------------------------------------------------------------------------
def test_an_intent_is_recorded_before_sending(store: Store) -> None:
    store.add_plan(a_plan())

    entry = store.journal_intent(
        "plan-1", None, "cid-1", "BTC/EUR", Side.SELL, EXACT, NOW, mode="paper"
    )

    assert (entry.status, entry.side, entry.amount) == (OrderStatus.INTENT, Side.SELL, EXACT)
    assert (entry.filled_amount, entry.cost, entry.fee) == (Decimal(0),) * 3
    assert entry.exchange_order_id is None and entry.created_at == NOW


def test_a_client_order_id_is_journaled_once(store: Store) -> None:
    store.add_plan(a_plan())
    sent_order(store, "plan-1", None, "cid-1")

    with pytest.raises(StorageError):
        sent_order(store, "plan-1", None, "cid-1")

    assert len(store.journal_for_plan("plan-1")) == 1


def test_a_journal_entry_needs_a_stored_plan(store: Store) -> None:
    with pytest.raises(StorageError):
        sent_order(store, "no-such-plan", None, "cid-1")


def test_journal_update_sets_only_what_it_is_given(store: Store) -> None:
    store.add_plan(a_plan())
    sent_order(store, "plan-1", None, "cid-1", status=OrderStatus.SENT)
    store.journal_update(
        "cid-1",
        status=OrderStatus.OPEN,
        exchange_order_id="OABCDE-12345-FGHIJK",
        filled_amount=Decimal("0.004"),
        now=LATER,
    )

    entry = store.journal_update(
        "cid-1", status=OrderStatus.FILLED, cost=Decimal("400.1"), fee=EXACT, now=LATER
    )

    assert entry.status is OrderStatus.FILLED
    assert entry.exchange_order_id == "OABCDE-12345-FGHIJK"
    assert (entry.filled_amount, entry.cost, entry.fee) == (
        Decimal("0.004"),
        Decimal("400.1"),
        EXACT,
    )
    assert (entry.created_at, entry.updated_at) == (NOW, LATER)


def test_updating_an_unknown_client_order_id_is_a_storage_error(store: Store) -> None:
    with pytest.raises(StorageError, match="cid-x"):
        store.journal_update("cid-x", status=OrderStatus.FILLED, now=NOW)


def test_unresolved_entries_are_intent_sent_unknown_and_open(store: Store) -> None:
    store.add_plan(a_plan())
    for status in OrderStatus:
        sent_order(store, "plan-1", None, f"cid-{status}", status=status)

    unresolved = store.journal_unresolved()

    assert [e.status for e in unresolved] == [
        OrderStatus.INTENT,
        OrderStatus.SENT,
        OrderStatus.OPEN,
        OrderStatus.UNKNOWN,
    ]
    assert all(e.status.unresolved for e in unresolved)


def test_journal_entries_are_found_by_run_plan_and_client_ids(store: Store) -> None:
    store.add_plan(a_plan())
    store.add_plan(a_plan("plan-2"))
    run_id = store.start_run("plan-1", OWNER, Decimal(6), NOW, mode="paper")
    sent_order(store, "plan-1", run_id, "cid-1")
    sent_order(store, "plan-1", run_id, "cid-2")
    sent_order(store, "plan-2", None, "cid-3")

    assert [e.client_order_id for e in store.journal_for_run(run_id)] == ["cid-1", "cid-2"]
    assert [e.client_order_id for e in store.journal_for_plan("plan-2")] == ["cid-3"]
    found = store.journal_for_ids(["cid-3", "cid-1", "cid-unknown"])
    assert [e.client_order_id for e in found] == ["cid-1", "cid-3"]
    assert store.journal_for_ids([]) == []


# --- Runs, history, stats ---------------------------------------------------------------
def finished_run(
    store: Store,
    plan_id: str,
    started: datetime,
    outcome: RunOutcome,
    *orders: OrderStatus,
    drift_after: Decimal | None = Decimal(1),
    mode: str = "paper",
) -> int:
    """A stored plan and its finished run, with one journaled order per status."""
    store.add_plan(a_plan(plan_id, mode=mode))
    run_id = store.start_run(plan_id, OWNER, Decimal(8), started, mode=mode)
    for i, status in enumerate(orders):
        cid = f"{plan_id}-{i}"
        sent_order(store, plan_id, run_id, cid, status=status, cost=Decimal("100.5"))
    store.finish_run(
        run_id,
        outcome=outcome,
        drift_after=drift_after,
        traded_value=Decimal("100.5") * len(orders),
        fees=Decimal("0.4") * len(orders),
        duration_s=1.5,
        orders_ok=orders.count(OrderStatus.FILLED),
        orders_failed=len(orders) - orders.count(OrderStatus.FILLED),
        orders_skipped=1,
        note="",
        now=started + timedelta(seconds=2),
    )
    return run_id


def test_a_run_starts_running_and_finishes_with_its_figures(store: Store) -> None:
    run_id = finished_run(store, "p1", NOW, RunOutcome.FULL, OrderStatus.FILLED)

    (run,) = store.history(10)

    assert run.id == run_id
    assert (run.outcome, run.drift_before, run.drift_after) == (
        RunOutcome.FULL,
        Decimal(8),
        Decimal(1),
    )
    assert (run.traded_value, run.fees, run.duration_s) == (Decimal("100.5"), Decimal("0.4"), 1.5)
    assert (run.orders_ok, run.orders_failed, run.orders_skipped) == (1, 0, 1)
    assert (run.started_at, run.finished_at) == (NOW, NOW + timedelta(seconds=2))


def test_history_lists_the_newest_runs_first_with_their_orders(store: Store) -> None:
    finished_run(store, "p1", NOW, RunOutcome.FULL, OrderStatus.FILLED)
    finished_run(store, "p2", NOW + timedelta(hours=1), RunOutcome.NOTHING)
    finished_run(
        store,
        "p3",
        NOW + timedelta(hours=2),
        RunOutcome.PARTIAL,
        OrderStatus.FILLED,
        OrderStatus.REJECTED,
    )

    history = store.history(2)

    assert [r.plan_id for r in history] == ["p3", "p2"]
    assert [o.client_order_id for o in history[0].orders] == ["p3-0", "p3-1"]
    assert history[1].orders == ()
    assert store.history(0) == []


def test_last_executed_run_skips_runs_that_placed_nothing(store: Store) -> None:
    assert store.last_executed_run() is None
    finished_run(store, "p1", NOW, RunOutcome.FULL, OrderStatus.FILLED)
    finished_run(store, "p2", NOW + timedelta(hours=1), RunOutcome.NOTHING)
    finished_run(store, "p3", NOW + timedelta(hours=2), RunOutcome.FAILED, OrderStatus.REJECTED)

    last = store.last_executed_run()

    assert last is not None and last.plan_id == "p1"
    assert [o.status for o in last.orders] == [OrderStatus.FILLED]


def test_a_run_cut_short_by_a_crash_counts_as_executed(store: Store) -> None:
    finished_run(store, "p1", NOW, RunOutcome.FULL, OrderStatus.FILLED)
    store.add_plan(a_plan("p2"))
    run_id = store.start_run("p2", OWNER, Decimal(7), LATER, mode="paper")
    sent_order(store, "p2", run_id, "crashed")

    last = store.last_executed_run()

    assert last is not None and (last.id, last.outcome) == (run_id, RunOutcome.RUNNING)


def test_plans_and_runs_keep_the_mode_they_were_made_in(store: Store) -> None:
    store.add_plan(a_plan("p-paper"))
    store.add_plan(a_plan("p-live", mode="live"))
    run_id = store.start_run("p-live", OWNER, Decimal(7), NOW, mode="live")

    plans = [store.get_plan(p) for p in ("p-paper", "p-live")]
    assert [p.mode if p else None for p in plans] == ["paper", "live"]
    assert [(r.id, r.mode) for r in store.history(5)] == [(run_id, "live")]


@pytest.mark.parametrize("mode", ["", "Live", "simulated"])
def test_a_plan_or_run_in_no_known_mode_is_refused(store: Store, mode: str) -> None:
    with pytest.raises(StorageError, match="trading mode"):
        store.add_plan(a_plan("p-odd", mode=mode))
    store.add_plan(a_plan())
    with pytest.raises(StorageError, match="trading mode"):
        store.start_run("plan-1", OWNER, Decimal(7), NOW, mode=mode)

    assert store.get_plan("p-odd") is None and store.history(5) == []


def test_history_stats_and_the_last_executed_run_count_one_mode_when_asked(
    store: Store,
) -> None:
    paper = finished_run(store, "p1", NOW, RunOutcome.FULL, OrderStatus.FILLED, OrderStatus.FILLED)
    live = finished_run(
        store, "l1", NOW + timedelta(hours=1), RunOutcome.FULL, OrderStatus.FILLED, mode="live"
    )

    assert [r.id for r in store.history(5, mode="paper")] == [paper]
    assert [r.id for r in store.history(5, mode="live")] == [live]
    assert [r.id for r in store.history(5)] == [live, paper]
    lasts = [store.last_executed_run(mode=m) for m in ("paper", "live", None)]
    assert [r.id if r else None for r in lasts] == [paper, live, live]
    paper_stats, live_stats, every = store.stats("paper"), store.stats("live"), store.stats()
    assert (paper_stats.runs, live_stats.runs, every.runs) == (1, 1, 2)
    assert (paper_stats.total_traded, live_stats.total_traded) == (Decimal(201), Decimal("100.5"))
    assert paper_stats.volume_by_symbol == {"BTC/EUR": Decimal(201)}
    assert live_stats.volume_by_symbol == {"BTC/EUR": Decimal("100.5")}
    assert every.volume_by_symbol == {"BTC/EUR": Decimal("301.5")}
    assert paper_stats.last_run is not None and paper_stats.last_run.id == paper
    assert [p[0] for p in live_stats.drift_series] == [NOW + timedelta(hours=1)]
    assert store.stats("live").runs_by_outcome == {RunOutcome.FULL: 1}


def test_unfinished_runs_of_every_mode_are_listed(store: Store) -> None:
    store.add_plan(a_plan("p1"))
    store.add_plan(a_plan("l1", mode="live"))
    paper = store.start_run("p1", OWNER, Decimal(7), NOW, mode="paper")
    live = store.start_run("l1", OWNER, Decimal(7), LATER, mode="live")

    assert [(r.id, r.mode) for r in store.unfinished_runs()] == [(live, "live"), (paper, "paper")]


def test_finishing_an_unknown_run_is_a_storage_error(store: Store) -> None:
    with pytest.raises(StorageError, match="no run"):
        store.finish_run(
            99,
            outcome=RunOutcome.FULL,
            drift_after=None,
            traded_value=Decimal(0),
            fees=Decimal(0),
            duration_s=0.0,
            orders_ok=0,
            orders_failed=0,
            orders_skipped=0,
            now=NOW,
        )


def test_stats_of_an_empty_database_are_zero(store: Store) -> None:
    stats = store.stats()

    assert (stats.runs, stats.total_traded, stats.total_fees) == (0, Decimal(0), Decimal(0))
    assert (stats.avg_drift_before, stats.avg_drift_after, stats.last_run) == (None, None, None)
    assert stats.volume_by_symbol == {} and stats.drift_series == ()


def test_stats_aggregate_every_run_exactly(store: Store) -> None:
    finished_run(store, "p1", NOW, RunOutcome.FULL, OrderStatus.FILLED, drift_after=Decimal("0.5"))
    finished_run(
        store,
        "p2",
        NOW + timedelta(hours=1),
        RunOutcome.PARTIAL,
        OrderStatus.FILLED,
        OrderStatus.PARTIAL,
        drift_after=None,
    )
    store.journal_update("p2-1", status=OrderStatus.PARTIAL, cost=EXACT, now=LATER)

    stats = store.stats()

    assert stats.runs_by_outcome == {RunOutcome.FULL: 1, RunOutcome.PARTIAL: 1}
    assert stats.runs == 2
    assert stats.total_traded == Decimal("301.5")
    assert stats.total_fees == Decimal("1.2")
    assert (stats.avg_drift_before, stats.avg_drift_after) == (Decimal(8), Decimal("0.5"))
    assert stats.volume_by_symbol == {"BTC/EUR": Decimal("201.0") + EXACT}
    assert stats.last_run is not None and stats.last_run.plan_id == "p2"
    assert [p[0] for p in stats.drift_series] == [NOW, NOW + timedelta(hours=1)]


# --- Fills ------------------------------------------------------------------------------
def a_fill(**changes: object) -> FillRecord:
    fill = FillRecord(
        exchange_order_id="OABCDE-12345-FGHIJK",
        client_order_id="cid-1",
        symbol="BTC/EUR",
        side=Side.BUY,
        amount=Decimal("0.01"),
        price=Decimal("40000.1"),
        cost=Decimal("400.001"),
        fee=EXACT,
        fee_currency="EUR",
        filled_at=NOW,
    )
    return replace(fill, **changes)  # type: ignore[arg-type]


def test_a_fill_is_recorded_exactly(store: Store) -> None:
    assert store.record_fill(a_fill()) is True

    assert store.fills() == [a_fill()]


def test_recording_the_same_order_again_replaces_its_fill(store: Store) -> None:
    store.record_fill(a_fill(amount=Decimal("0.005")))

    assert store.record_fill(a_fill()) is False

    assert store.fills() == [a_fill()]


def test_fills_are_listed_in_time_order_and_by_symbol(store: Store) -> None:
    store.record_fill(a_fill(exchange_order_id="O2", filled_at=LATER))
    store.record_fill(a_fill(exchange_order_id="O1", symbol="ETH/EUR"))

    assert [f.exchange_order_id for f in store.fills()] == ["O1", "O2"]
    assert [f.exchange_order_id for f in store.fills("BTC/EUR")] == ["O2"]


# --- Paper book -------------------------------------------------------------------------
def a_paper_order(**changes: object) -> OrderResult:
    order = OrderResult(
        client_id="cid-1",
        exchange_id="OPAPER-00001-AAAAAA",
        symbol="BTC/EUR",
        side=Side.BUY,
        state=OrderStatus.FILLED,
        amount=Decimal("0.01"),
        filled=Decimal("0.01"),
        average_price=Decimal("40000.1"),
        cost=Decimal("400.001"),
        fee=Decimal("1.600004"),
        closed_at=NOW,  # the paper exchange closes its orders when it records them
    )
    return replace(order, **changes)  # type: ignore[arg-type]


def test_the_paper_book_is_none_until_seeded(store: Store) -> None:
    book: PaperBook = store

    assert book.paper_balances() is None
    book.seed_paper_balances({})
    assert book.paper_balances() == {}


def test_seeding_the_paper_book_replaces_it(store: Store) -> None:
    store.seed_paper_balances({"BTC": Decimal("0.5"), "EUR": Decimal(500)})

    store.seed_paper_balances({"ETH": EXACT})

    assert store.paper_balances() == {"ETH": EXACT}


def test_a_paper_order_and_its_balances_are_written_together(store: Store) -> None:
    store.seed_paper_balances({"EUR": Decimal(500)})
    after = {"BTC": Decimal("0.01"), "EUR": Decimal("98.398996")}

    store.record_paper_order(after, a_paper_order(), NOW)

    assert store.paper_balances() == after
    assert store.paper_orders() == [a_paper_order()]


def test_a_paper_order_that_cannot_be_written_leaves_the_balances_alone(store: Store) -> None:
    store.seed_paper_balances({"EUR": Decimal(500)})
    broken = a_paper_order(cost=Decimal("NaN"))

    with pytest.raises(StorageError):
        store.record_paper_order({"BTC": Decimal("0.01")}, broken, NOW)

    assert store.paper_balances() == {"EUR": Decimal(500)}
    assert store.paper_orders() == []


def test_recording_a_paper_order_again_updates_it_in_place(store: Store) -> None:
    store.record_paper_order({}, a_paper_order(exchange_id="O2"), LATER)
    store.record_paper_order({}, a_paper_order(state=OrderStatus.OPEN), NOW)

    store.record_paper_order({}, a_paper_order(), LATER + timedelta(hours=1))

    assert [o.exchange_id for o in store.paper_orders()] == ["OPAPER-00001-AAAAAA", "O2"]
    assert store.paper_orders()[0].state is OrderStatus.FILLED


def test_a_resting_limit_order_is_kept_whole_and_closed_when_it_fills(store: Store) -> None:
    resting = a_paper_order(
        state=OrderStatus.OPEN,
        filled=Decimal(0),
        average_price=None,
        cost=Decimal(0),
        fee=Decimal(0),
        order_type=OrderType.LIMIT,
        limit_price=Decimal("39990.5"),
        post_only=True,
        maker_share=Decimal(1),
        closed_at=None,
    )
    store.record_paper_order({}, resting, NOW)
    assert store.paper_orders() == [resting]

    filled = replace(
        resting,
        state=OrderStatus.FILLED,
        filled=Decimal("0.01"),
        average_price=Decimal("39990.5"),
        cost=Decimal("399.905"),
        fee=Decimal("0.99976250"),
        note="maker fill assumed at the limit",
        closed_at=LATER,
    )
    store.record_paper_order({}, filled, LATER)

    assert store.paper_orders() == [filled]


# --- Preferences and small state --------------------------------------------------------
def test_alerts_are_on_until_a_user_turns_them_off(store: Store) -> None:
    assert store.alerts_enabled(OWNER) is True

    store.set_alerts(OWNER, False)

    assert store.alerts_enabled(OWNER) is False
    assert store.alerts_enabled(STRANGER) is True
    store.set_alerts(OWNER, True)
    assert store.alerts_enabled(OWNER) is True


def test_kv_keeps_the_last_value_per_key(store: Store) -> None:
    assert store.kv_get("alert.armed") is None

    store.kv_set("alert.armed", "1", NOW)
    store.kv_set("alert.armed", "0", LATER)

    assert store.kv_get("alert.armed") == "0"


# --- Restart ----------------------------------------------------------------------------
def test_a_restart_keeps_everything(url: str, store: Store) -> None:
    store.set_targets({"BTC": EXACT, "ETH": Decimal(60)}, NOW)
    store.lock("SOL", OWNER, NOW, reason="staked")
    store.add_plan(a_plan())
    run_id = finished_run(store, "p1", NOW, RunOutcome.FULL, OrderStatus.FILLED)
    sent_order(store, "plan-1", None, "open-1", status=OrderStatus.OPEN)
    store.seed_paper_balances({"EUR": Decimal(500)})
    store.kv_set("heartbeat", "ok", NOW)
    store.close()

    restarted = reopen(url)

    assert restarted.get_targets() == {"ETH": Decimal(60), "BTC": EXACT}
    assert [(x.symbol, x.reason) for x in restarted.locks()] == [("SOL", "staked")]
    assert restarted.get_plan("plan-1") == a_plan()
    assert [e.client_order_id for e in restarted.journal_unresolved()] == ["open-1"]
    assert [r.id for r in restarted.history(5)] == [run_id]
    assert restarted.paper_balances() == {"EUR": Decimal(500)}
    assert restarted.kv_get("heartbeat") == "ok"
    restarted.close()


# --- Errors -----------------------------------------------------------------------------
def test_database_failures_become_storage_errors_with_the_cause(empty_db_url: str) -> None:
    unmigrated = Store(make_engine(empty_db_url))
    missing = "no such table" if empty_db_url.startswith("sqlite") else "does not exist"

    with pytest.raises(StorageError, match=missing) as caught:
        unmigrated.get_targets()

    assert caught.value.__cause__ is not None
    unmigrated.close()


@pytest.mark.parametrize("by", ["unknown", "stranger", "used", "expired"])
def test_a_refusal_names_no_plan_id_and_carries_it_as_data(store: Store, by: str) -> None:
    store.add_plan(a_plan())
    if by == "used":
        store.claim_plan("plan-1", OWNER, LATER)
    plan_id, user, at = {
        "unknown": ("nope", OWNER, NOW),
        "stranger": ("plan-1", STRANGER, LATER),
        "used": ("plan-1", OWNER, LATER),
        "expired": ("plan-1", OWNER, NOW + timedelta(days=2)),
    }[by]

    refused = refusal(lambda: store.claim_plan(plan_id, user, at))

    assert plan_id not in str(refused) and refused.data["plan_id"] == plan_id
    assert refused.next_step == "fresh_plan"


def test_a_paper_run_left_unfinished_never_holds_back_live_plans(store: Store) -> None:
    """A paper CLI interrupted mid-run leaves its run `running`; a live process never
    recovers paper runs, so the live watermark must not stop at it."""
    store.add_plan(a_plan("paper-1", mode="paper"))
    store.start_run("paper-1", OWNER, Decimal(8), NOW, mode="paper")  # never finished
    live_run = finished_run(
        store, "live-1", LATER, RunOutcome.FULL, OrderStatus.FILLED, mode="live"
    )

    basis = store.plan_basis("live")

    assert basis.runs_seen == live_run  # every live run up to it had ended
    assert store.superseding_run(basis.runs_seen, "live") is None
    assert store.plan_basis("paper").runs_seen == live_run - 2  # the paper run still counts
