"""The in-memory FakeStore and the SQL Store give the same answers to the same calls: plans,
their claim, the locks and targets, the lease, the unit of work (journal, runs and fills:
test_journal_and_runs.py).

Each test runs on each store, as `[memory]`, `[sqlite]` (a migrated SQLite file of its own)
and `[postgres]` (when TEST_POSTGRES_URL names a server; see tests/databases.py): the fast
unit tests of execution, the order desk and recovery (tests/unit/test_*_on_fakes.py) trust
the fake only as far as this contract holds. The SQL store's own behaviour (exact decimals,
aware times, races between processes) is in tests/integration/test_store.py.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.app.repositories import Store
from core.domain.statuses import PlanStatus
from core.errors import ExecutionRefused, StorageError
from tests.fakes.clocks import NOW, FakeClock
from tests.integration.store_contract.builders import (
    ME,
    OTHER,
    OWNER,
    STALE_S,
    STRANGER,
    TTL,
    a_plan,
    refused,
    status,
)

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
    basis = store.plan_basis("live")
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
