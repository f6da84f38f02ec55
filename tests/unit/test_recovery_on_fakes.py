"""Recovery on in-memory fakes: what a process left when it died (after the intent, before
the send; after the send, before the answer) is settled from the journal by asking the
exchange, never by sending again; a run whose outcome is not known is reported as such
until it is. (With real processes, HTTP and SQLite: tests/integration/test_execution_faults.py.)"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.app.recovery import INTERRUPTED
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome
from core.errors import ExchangeUnavailable
from tests.fakes.exchange import Answer
from tests.fakes.processes import ProcessDied
from tests.unit.on_fakes import Trader

SETTLE_S = (
    120  # reconcile's settle time: an order unknown to the exchange after it was never placed
)


@pytest.fixture
def trader() -> Trader:
    return Trader()


async def died_during_the_sell(trader: Trader) -> str:
    """Start a rebalance that dies at its first order, leaving its lease held (a dead process
    gives nothing back); the next process starts. Returns the plan id."""
    plan_id = await trader.prepared()
    trader.store.faults.fail("release_lease")  # what dying skips, as a failed write
    with pytest.raises(ProcessDied):
        await trader.execution(plan_id).run()
    trader.restart()
    assert trader.store.lease_holder() == plan_id
    return plan_id


def crash_after_the_intent(trader: Trader) -> None:
    """The intent is committed; the process dies writing "sent", before sending."""
    trader.store.faults.fail("journal_update", error=ProcessDied())


def crash_as_it_sends(trader: Trader) -> None:
    """Journaled as sent; the process dies as it sends: the order never reaches Kraken."""
    trader.exchange.answer(Answer.DIES_BEFORE_SENDING)


@pytest.mark.parametrize(
    ("crash", "left", "attempts"),
    [(crash_after_the_intent, OrderStatus.INTENT, 0), (crash_as_it_sends, OrderStatus.SENT, 1)],
)
async def test_an_order_that_never_reached_the_exchange_is_settled_as_never_placed(
    trader: Trader, crash: Callable[[Trader], None], left: OrderStatus, attempts: int
) -> None:
    crash(trader)
    plan_id = await died_during_the_sell(trader)
    (entry,) = trader.journal(plan_id)
    assert entry.status is left
    assert [o.status for o in await trader.app.reconcile()] == [left]  # not settled yet
    assert trader.store.unfinished_runs() != []

    trader.clock.advance(seconds=SETTLE_S)
    (settled,) = await trader.app.reconcile()
    assert (settled.status, "never placed" in settled.reason) == ("rejected", True)
    (run,) = trader.store.history(1)
    assert (run.outcome, run.note, trader.plan(plan_id).status) == (
        RunOutcome.FAILED,
        INTERRUPTED,
        PlanStatus.EXECUTED,
    )
    assert trader.exchange.booked == {}
    assert trader.exchange.sent() == [entry.client_order_id] * attempts  # never again after
    assert trader.store.lease_holder() is None  # the dead process's lease, taken and given back


async def test_an_order_placed_before_the_process_died_is_found_by_its_client_id(
    trader: Trader,
) -> None:
    trader.exchange.answer(Answer.DIES_AFTER_SENDING)
    plan_id = await died_during_the_sell(trader)
    (entry,) = trader.journal(plan_id)
    assert (entry.status, entry.exchange_order_id) == (OrderStatus.SENT, None)

    (found,) = await trader.app.reconcile()
    assert (found.status, found.client_order_id) == ("filled", entry.client_order_id)
    assert trader.exchange.lookups() == [(entry.client_order_id,)]
    assert trader.exchange.sent() == [entry.client_order_id]
    (fill,) = trader.store.fills()
    assert fill.client_order_id == entry.client_order_id
    (run,) = trader.store.history(1)
    assert (run.outcome, run.orders_ok, run.note) == (RunOutcome.PARTIAL, 1, INTERRUPTED)


async def test_a_failed_lookup_decides_nothing_and_the_next_one_settles_it(
    trader: Trader,
) -> None:
    trader.exchange.answer(Answer.DIES_AFTER_SENDING)
    plan_id = await died_during_the_sell(trader)
    trader.clock.advance(seconds=SETTLE_S)  # past the settle time: only the lookup may decide
    trader.exchange.fail("find_orders", ExchangeUnavailable("Kraken is unavailable"))
    assert [o.status for o in await trader.app.reconcile()] == [OrderStatus.SENT]
    assert trader.store.unfinished_runs() != []
    assert [o.status for o in await trader.app.reconcile()] == [OrderStatus.FILLED]
    assert [e.status for e in trader.journal(plan_id)] == [OrderStatus.FILLED]


async def test_reconciliation_waits_while_another_process_holds_the_lease(trader: Trader) -> None:
    trader.exchange.answer(Answer.DIES_AFTER_SENDING)
    plan_id = await died_during_the_sell(trader)
    sibling, dead = trader.processes.spawn(), trader.processes.is_dead  # e.g. the CLI beside it
    assert trader.store.acquire_lease("another-plan", sibling, 300, lambda _h, o: dead(o))
    assert await trader.app.reconcile() == ()
    assert [e.status for e in trader.journal(plan_id)] == [OrderStatus.SENT]
    assert trader.exchange.lookups() == []


async def test_a_run_whose_outcome_is_unknown_is_reported_so_until_reconciled(
    trader: Trader,
) -> None:
    trader.exchange.answer(Answer.LOST_UNSEEN)  # the sell filled, but lookups miss it a while
    report = await trader.rebalanced()
    assert report.outcome is RunOutcome.UNKNOWN
    assert [o.status for o in report.orders] == ["unknown", "filled", "filled", "filled"]
    (run,) = trader.store.history(1)
    assert run.outcome is RunOutcome.UNKNOWN
    assert trader.store.stats().runs_by_outcome == {RunOutcome.UNKNOWN: 1}

    trader.exchange.surface()
    (found,) = await trader.app.reconcile()
    assert found.status == "filled"
    (run,) = trader.store.history(1)
    assert (run.outcome, run.orders_ok) == (RunOutcome.FULL, 4)
    assert len(set(trader.exchange.sent())) == len(trader.exchange.sent()) == 4
