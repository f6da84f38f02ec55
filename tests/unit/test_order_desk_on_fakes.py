"""The order desk on in-memory fakes: journal first, a lost answer looked up (never resent),
refusals recorded, a failing journal retried locally and never turned into a resend.
(Over HTTP and SQLite: tests/integration/test_execution_faults.py and _persistence.py.)"""

from __future__ import annotations

import pytest

from core.app.journal import CONFIRM_DELAYS
from core.app.order_desk import JOURNAL_FAILED, LEASE_LOST
from core.domain.models import Side
from core.domain.statuses import OrderStatus, RunOutcome
from tests.fakes.exchange import Answer, Call
from tests.unit.on_fakes import Trader


@pytest.fixture
def trader() -> Trader:
    return Trader()


def assert_never_resent(trader: Trader) -> None:
    sent = trader.exchange.sent()
    assert len(sent) == len(set(sent))


async def test_each_order_is_journaled_as_sent_under_a_fresh_lease_before_the_exchange_sees_it(
    trader: Trader,
) -> None:
    seen = []

    def look(call: Call) -> None:
        if call.method == "place_order":
            (cid,) = call.ids
            lease = trader.store.committed.lease
            assert lease is not None
            seen.append((trader.store.committed.journal[cid].status, lease.refreshed_at))
            trader.clock.advance(seconds=1)  # so each refresh shows in the lease's time

    trader.exchange.watchers.append(look)
    start = trader.clock()
    report = await trader.rebalanced()
    assert [status for status, _ in seen] == [OrderStatus.SENT] * 4
    assert [(at - start).total_seconds() for _, at in seen] == [0, 1, 2, 3]
    assert len(report.orders) == 4


async def test_a_lost_answer_of_a_placed_order_is_found_by_its_client_id_not_resent(
    trader: Trader,
) -> None:
    trader.exchange.answer(Answer.LOST_PLACED)
    report = await trader.rebalanced()
    sell = report.orders[0]
    assert trader.exchange.lookups()[0] == (sell.client_order_id,)
    (entry,) = trader.store.journal_for_ids([sell.client_order_id])
    assert (entry.status, entry.exchange_order_id, sell.reason) == (OrderStatus.FILLED, "TX1", "")
    assert (report.outcome, len(trader.exchange.sent())) == (RunOutcome.FULL, 4)
    assert_never_resent(trader)
    assert trader.time.slept == []  # found by the first lookup, at once


async def test_a_lost_answer_of_an_order_never_placed_stays_unknown_and_is_not_resent(
    trader: Trader,
) -> None:
    trader.exchange.answer(Answer.LOST_NOT_PLACED)
    report = await trader.rebalanced()
    sell = report.orders[0]
    assert (sell.side, sell.status, report.outcome) == (Side.SELL, "unknown", RunOutcome.UNKNOWN)
    assert "lost" in sell.reason
    assert trader.exchange.sent() == [sell.client_order_id]  # no cash came: no buys either
    assert trader.exchange.lookups() == [(sell.client_order_id,)] * (1 + len(CONFIRM_DELAYS))
    assert trader.time.slept == list(CONFIRM_DELAYS)
    (run,) = trader.store.history(1)
    assert (run.outcome, trader.store.journal_unresolved()[0].status) == (
        RunOutcome.UNKNOWN,
        OrderStatus.UNKNOWN,
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (Answer.REJECT, "EOrder:Insufficient funds"),
        (Answer.RATE_LIMITED, "EOrder:Rate limit exceeded"),
        (Answer.UNAVAILABLE, "EService:Unavailable"),
    ],
)
async def test_a_refused_order_is_journaled_rejected_and_the_others_still_go(
    trader: Trader, answer: Answer, reason: str
) -> None:
    trader.exchange.answer(Answer.FILL, answer)  # the sell fills, the first buy is refused
    report = await trader.rebalanced()
    refused = report.orders[1]
    assert (refused.side, refused.status, refused.reason) == (Side.BUY, "rejected", reason)
    assert [o.status for o in report.orders] == ["filled", "rejected", "filled", "filled"]
    assert report.outcome is RunOutcome.PARTIAL
    assert trader.exchange.lookups() == []  # a definite answer needs no lookup
    assert_never_resent(trader)


async def test_a_journal_write_failing_after_an_answer_is_retried_locally_not_resent(
    trader: Trader,
) -> None:
    trader.store.faults.fail("journal_update", after=1)  # the sell's "sent" passes, its fill not
    report = await trader.rebalanced()
    assert report.outcome is RunOutcome.FULL
    assert [e.status for e in trader.journal(report.plan_id)] == [OrderStatus.FILLED] * 4
    assert len(trader.store.fills()) == 4
    assert trader.time.slept == [0.2]  # one retry of the local write, after its backoff
    assert len(trader.exchange.sent()) == 4
    assert_never_resent(trader)


async def test_a_journal_that_cannot_record_an_answer_stops_the_sending_and_looks_it_up(
    trader: Trader,
) -> None:
    trader.store.faults.fail("journal_update", times=4, after=1)  # every retry of the fill
    report = await trader.rebalanced()
    sell, *buys = report.orders
    assert (sell.status, report.problem) == ("filled", "storage")  # known, though not stored
    assert [b.status for b in buys] == ["rejected"] * 3
    assert all(b.reason.startswith("not sent: the database failed") for b in buys)
    assert trader.exchange.sent() == [sell.client_order_id]
    assert trader.exchange.lookups() == [(sell.client_order_id,)]  # the wave's confirmation
    (entry,) = trader.store.journal_for_ids([sell.client_order_id])
    assert (entry.status, entry.exchange_order_id) == (OrderStatus.FILLED, "TX1")
    assert trader.store.journal_unresolved() == []


async def test_an_intent_that_cannot_be_committed_sends_nothing(trader: Trader) -> None:
    trader.store.faults.fail("commit", times=4, after=1)  # the claim commits, no intent does
    report = await trader.rebalanced()
    assert trader.exchange.sent() == []
    assert (report.orders[0].status, report.orders[0].reason) == ("rejected", JOURNAL_FAILED)
    assert (report.problem, report.outcome) == ("storage", RunOutcome.FAILED)
    assert trader.journal(report.plan_id) == []


async def test_an_execution_that_lost_its_lease_sends_nothing_more(trader: Trader) -> None:
    def steal(call: Call) -> None:
        if call.method == "place_order" and len(trader.exchange.sent()) == 1:
            trader.clock.advance(seconds=trader.settings.lease_stale_seconds + 1)
            assert trader.store.acquire_lease("other", trader.processes.spawn(), 300)

    trader.exchange.watchers.append(steal)
    report = await trader.rebalanced()
    sell, *buys = report.orders
    assert trader.exchange.sent() == [sell.client_order_id]
    assert [(b.status, b.reason) for b in buys] == [("rejected", LEASE_LOST)] * 3
    assert [e.status for e in trader.journal(report.plan_id)][1:] == [OrderStatus.REJECTED] * 3


async def test_a_lease_refresh_the_database_fails_once_is_retried_and_every_order_goes(
    trader: Trader,
) -> None:
    """The audit's case: one busy timeout while the lease is refreshed before a buy. The
    lease is still ours: the refresh is retried like any local write, the buys go."""
    trader.store.faults.fail("refresh_lease", after=1)  # the sell's refresh passes, a buy's not
    report = await trader.rebalanced()
    assert report.outcome is RunOutcome.FULL
    assert len(trader.exchange.sent()) == 4
    assert trader.time.slept == [0.2]  # one retry of the intent with its refresh
    assert_never_resent(trader)
