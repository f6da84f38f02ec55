"""The in-memory FakeStore and the SQL Store give the same answers to the same calls: the
order journal, runs, fills, preferences (see test_plans_and_lease.py for the rest)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from core.app.records import FillRecord
from core.app.repositories import Store
from core.domain.models import Side
from core.domain.statuses import OrderStatus, RunOutcome
from core.errors import StorageError
from tests.fakes.clocks import NOW
from tests.integration.store_contract.builders import (
    OWNER,
    TTL,
    a_plan,
    an_order,
    finish,
)

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
    assert store.plan_basis("live").runs_seen == 0  # the run is still going
    assert store.plan_basis("paper").runs_seen == first  # a live run never holds back paper
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
    assert (store.unfinished_runs(), store.plan_basis("live").runs_seen) == ([], run_id)
    stats = store.stats("live")
    assert (stats.runs, stats.total_traded, stats.avg_drift_after) == (1, Decimal(40), Decimal(1))
    assert (dict(stats.volume_by_symbol), stats.last_run) == ({"BTC/EUR": Decimal(40)}, run)
    assert store.stats("paper").runs == 0
    with pytest.raises(StorageError):
        finish(store, 99)


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
