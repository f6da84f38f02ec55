"""Execution through a misbehaving Kraken (the fake's fault injection, over real ccxt).

A lost answer is resolved by looking the order up by its client order id, never by sending
it again; a process killed mid-order is resolved at start-up by `reconcile()`; a refused
order does not stop the others; reads are retried, orders never; one QueryOrders per wave.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

import pytest

from core.app.api import ExecutionReport, OrderOutcome
from core.app.order_desk import new_client_order_id
from core.app.rebalancer import Rebalancer
from core.app.records import JournalEntry, LeaseOwner
from core.domain.execution_rules import cash_reserve
from core.domain.models import Side
from core.domain.orders import OrderRequest
from core.domain.statuses import OrderStatus, RunOutcome
from core.errors import ExchangeError, ExecutionRefused
from core.store.db import make_engine
from tests.fakes.kraken_server import FakeKraken
from tests.integration.conftest import OWNER, Account

pytestmark = pytest.mark.both_engines  # each test on SQLite and on PostgreSQL

SETTLE_AND_STALE = 10  # minutes: past reconcile's settle time and the lease's stale age


async def rebalanced(live: Account) -> ExecutionReport:
    prepared = await live.app.prepare_rebalance(OWNER)
    return await live.app.execute(prepared.plan_id, OWNER)


def entry(live: Account, client_order_id: str) -> JournalEntry:
    (found,) = live.store.journal_for_ids([client_order_id])
    return found


def endpoints(kraken: FakeKraken) -> list[str]:
    return [r.endpoint for r in kraken.requests]


# -- journal first ---------------------------------------------------------------------------


async def test_each_order_is_journaled_as_sent_before_kraken_sees_it(live: Account) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.fail_next("AddOrder", "delay:0.3")  # Kraken holds the first order a moment
    execution = asyncio.create_task(live.app.execute(prepared.plan_id, OWNER))
    async with asyncio.timeout(5):  # the fake offers no event to wait on: poll its log
        while live.fake.count("AddOrder") == 0:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    arrived = next(r for r in live.fake.requests if r.endpoint == "AddOrder")
    assert live.fake.orders == []  # received, not yet booked
    journaled = entry(live, arrived.params["cl_ord_id"])
    assert (journaled.status, journaled.side) == (OrderStatus.SENT, Side.SELL)
    report = await execution
    ids = [o.client_order_id for o in report.orders]
    assert len(set(ids)) == len(ids) == 4
    assert ids == [r.params["cl_ord_id"] for r in live.fake.requests if r.endpoint == "AddOrder"]


# -- lost answers --------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["drop_after", "delay_after:2"])
async def test_an_order_whose_answer_was_lost_is_found_by_its_client_id_not_sent_again(
    live: Account, fault: str
) -> None:
    """Booked and filled at Kraken, then the connection dropped / the client timed out."""
    live.timeout_s = 0.5
    await live.restart()
    live.fake.fail_next("AddOrder", fault)
    report = await rebalanced(live)
    sell = report.orders[0]
    (booked,) = live.fake.orders_with_cl_ord_id(sell.client_order_id)
    assert booked.status == "closed"
    journaled = entry(live, sell.client_order_id)
    assert (journaled.status, journaled.exchange_order_id) == (OrderStatus.FILLED, booked.txid)
    assert (sell.side, sell.status, sell.filled, sell.reason) == (
        Side.SELL,
        "filled",
        sell.requested,
        "",
    )
    assert live.fake.count("AddOrder") == len(live.fake.orders) == len(report.orders) == 4
    assert report.outcome is RunOutcome.FULL


async def test_an_html_page_instead_of_the_answer_leaves_the_order_unknown_until_reconciled(
    live: Account,
) -> None:
    """The fake answers the page without booking the order: it must not be sent again,
    nor declared lost before the settle time; the restart then finds it was never placed."""
    live.fake.fail_next("AddOrder", "html")
    report = await rebalanced(live)
    sell = report.orders[0]
    assert (sell.status, report.outcome) == (
        "unknown",
        RunOutcome.UNKNOWN,
    )  # issue 12: not "failed"
    assert "lost" in sell.reason
    assert live.fake.orders_with_cl_ord_id(sell.client_order_id) == []
    assert live.fake.count("AddOrder") == 1  # the buys had no cash: the sell never happened

    live.clock.advance(minutes=1)
    assert [o.status for o in await live.app.reconcile()] == ["unknown"]  # not yet settled
    live.clock.advance(minutes=SETTLE_AND_STALE)
    app = await live.restart()
    (resolved,) = await app.reconcile()
    assert (resolved.status, resolved.client_order_id) == ("rejected", sell.client_order_id)
    assert "never placed" in resolved.reason
    assert live.fake.count("AddOrder") == 1
    assert live.store.journal_unresolved() == []


# -- a process killed mid-order, then restarted ----------------------------------------------


async def dying_run(live: Account, owner: LeaseOwner | None = None) -> OrderRequest:
    """What a process leaves when it dies in its first order: a claimed plan, a running
    run, the lease (held by `owner`, by default this account's process), and the sell
    journaled as `intent`. Returns that order."""
    store, now = live.store, live.clock()
    prepared = await live.app.prepare_rebalance(OWNER)
    store.claim_plan(prepared.plan_id, OWNER, now)
    assert store.acquire_lease(prepared.plan_id, owner or live.app.lease_terms.owner, 300)
    run_id = store.start_run(
        prepared.plan_id, OWNER, prepared.plan.max_drift_pct, now, mode=live.app.mode
    )
    sell = prepared.plan.sells[0]
    order = OrderRequest(new_client_order_id(), sell.symbol, sell.side, sell.amount)
    store.journal_intent(
        prepared.plan_id,
        run_id,
        order.client_id,
        order.symbol,
        order.side,
        order.amount,
        now,
        mode=live.app.mode,
    )
    return order


async def restarted(live: Account) -> Rebalancer:
    live.clock.advance(minutes=SETTLE_AND_STALE)
    return await live.restart()


async def test_killed_between_journal_and_send_the_order_is_found_never_placed(
    live: Account,
) -> None:
    order = await dying_run(live)
    app = await restarted(live)
    (resolved,) = await app.reconcile()
    assert (resolved.client_order_id, resolved.status) == (order.client_id, "rejected")
    assert "never placed" in resolved.reason
    assert live.fake.count("AddOrder") == 0
    assert (live.store.journal_unresolved(), live.store.lease_holder()) == ([], None)
    report = await rebalanced(live)  # a run that placed nothing sets off no cooldown
    assert report.outcome is RunOutcome.FULL


async def test_killed_after_send_before_the_answer_the_order_is_found_filled_not_duplicated(
    live: Account,
) -> None:
    order = await dying_run(live)
    live.store.journal_update(order.client_id, status=OrderStatus.SENT, now=live.clock())
    sender = live.kraken_client()  # the dead process's last act: the order reaches Kraken
    await sender.place_order(order)
    await sender.close()

    app = await restarted(live)
    (resolved,) = await app.reconcile()
    (booked,) = live.fake.orders_with_cl_ord_id(order.client_id)
    assert (resolved.status, resolved.filled) == ("filled", order.amount)
    assert entry(live, order.client_id).exchange_order_id == booked.txid
    assert [f.exchange_order_id for f in live.store.fills()] == [booked.txid]
    assert live.fake.count("AddOrder") == 1
    with pytest.raises(ExecutionRefused) as caught:  # that order counts for the cooldown
        await rebalanced(live)
    assert caught.value.code == "cooldown"
    assert live.fake.count("AddOrder") == 1
    assert [o.txid for o in live.fake.orders] == [booked.txid]


async def test_a_lookup_that_fails_during_reconciliation_decides_nothing(live: Account) -> None:
    order = await dying_run(live)
    live.store.journal_update(order.client_id, status=OrderStatus.SENT, now=live.clock())
    sender = live.kraken_client()  # the order did reach Kraken before the process died
    await sender.place_order(order)
    await sender.close()
    live.fake.fail_next("OpenOrders", "EService:Unavailable", times=20)

    app = await restarted(live)
    await app.reconcile()
    assert entry(live, order.client_id).status is OrderStatus.SENT  # not "never placed"

    live.fake.clear_faults()
    (resolved,) = await app.reconcile()
    assert (resolved.status, resolved.filled) == ("filled", order.amount)
    assert live.fake.count("AddOrder") == 1


async def test_a_run_interrupted_by_a_crash_gets_its_outcome_recorded_after_the_restart(
    live: Account,
) -> None:
    order = await dying_run(live)
    app = await restarted(live)
    await app.reconcile()
    (run,) = app.history(5)
    assert run.outcome is RunOutcome.FAILED  # its only order was never placed
    assert [o.client_order_id for o in run.orders] == [order.client_id]
    assert app.stats().runs_by_outcome == {"failed": 1}
    assert live.store.get_plan(run.plan_id).status == "executed"  # type: ignore[union-attr]


async def test_a_restart_before_the_lease_is_stale_decides_nothing_and_runs_nothing(
    live: Account,
) -> None:
    """The lease's holder runs elsewhere (another host): it may still be alive."""
    order = await dying_run(live, owner=live.processes.spawn(host="otherhost"))
    live.clock.advance(minutes=1)
    live.settings = replace(live.settings, cooldown_minutes=0)  # only the lease is in the way
    app = await live.restart()
    assert await app.reconcile() == ()  # the dead process may still be alive: hands off
    with pytest.raises(ExecutionRefused) as caught:
        await rebalanced(live)
    assert caught.value.code == "busy"
    assert entry(live, order.client_id).status is OrderStatus.INTENT
    assert live.fake.count("AddOrder") == 0


# -- a refused order --------------------------------------------------------------------------


async def test_insufficient_funds_on_one_buy_lets_the_others_through_as_a_partial_run(
    live: Account,
) -> None:
    live.fake.fail_next("AddOrder", "EOrder:Insufficient funds", when={"pair": "SOLEUR"})
    report = await rebalanced(live)
    by_asset = {o.asset: o for o in report.orders}
    assert (by_asset["SOL"].status, by_asset["SOL"].reason) == (
        "rejected",
        "EOrder:Insufficient funds",
    )
    assert {a: o.status for a, o in by_asset.items() if a != "SOL"} == dict.fromkeys(
        ("BTC", "ETH", "ADA"), "filled"
    )
    assert (report.outcome, report.succeeded, report.failed) == (RunOutcome.PARTIAL, 3, 1)
    assert len(live.fake.orders) == 3
    (run,) = live.app.history()
    assert run.outcome is RunOutcome.PARTIAL
    assert [o.reason for o in run.orders if not o.ok] == ["EOrder:Insufficient funds"]
    assert live.app.stats().runs_by_outcome == {"partial": 1}


async def test_a_balance_unreadable_after_the_sells_reports_the_buys_not_sent(
    live: Account,
) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.fail_next("BalanceEx", "EService:Unavailable", times=4)  # beyond the 3 retries
    report = await live.app.execute(prepared.plan_id, OWNER)
    assert [(o.side, o.status) for o in report.orders] == [(Side.SELL, "filled")] + [
        (Side.BUY, "rejected")
    ] * 3
    assert all("balance could not be read" in o.reason for o in report.orders[1:])
    assert live.fake.count("AddOrder") == 1
    (run,) = live.app.history()
    assert (report.outcome, run.outcome) == (RunOutcome.PARTIAL, RunOutcome.PARTIAL)
    assert (live.store.journal_unresolved(), live.store.lease_holder()) == ([], None)


async def test_kraken_unreachable_at_the_price_check_places_nothing_and_the_plan_stays_usable(
    live: Account,
) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.fail_next("Ticker", "EService:Unavailable", times=4)
    with pytest.raises(ExchangeError):
        await live.app.execute(prepared.plan_id, OWNER)
    assert live.fake.count("AddOrder") == 0
    assert (live.store.journal_for_plan(prepared.plan_id), live.store.lease_holder()) == ([], None)
    report = await live.app.execute(prepared.plan_id, OWNER)  # confirmed again, in time
    assert report.outcome is RunOutcome.FULL


# -- request economy: one query per wave, reads retried, orders never ------------------------


async def test_three_sells_are_confirmed_with_one_query_and_the_buy_with_another(
    live: Account,
) -> None:
    await live.app.set_targets("BTC=50,ETH=10,SOL=5,ADA=35")
    prepared = await live.app.prepare_rebalance(OWNER)
    assert [o.side for o in prepared.plan.orders] == [Side.SELL] * 3 + [Side.BUY]
    live.fake.clear_requests()
    report = await live.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL
    calls = endpoints(live.fake)
    first_buy = calls.index("AddOrder", calls.index("BalanceEx"))
    assert calls[:first_buy].count("QueryOrders") == 1
    assert calls[first_buy:].count("QueryOrders") == 1
    sells_query = next(r for r in live.fake.requests if r.endpoint == "QueryOrders")
    assert len(sells_query.params["txid"].split(",")) == 3
    assert "OpenOrders" not in calls and "ClosedOrders" not in calls
    assert live.time.slept == []  # no pacing wait, no retry, no fixed delay on the adapter


@pytest.mark.parametrize("read", ["QueryOrders", "BalanceEx", "Ticker"])
async def test_a_rate_limited_read_during_execution_is_retried(live: Account, read: str) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    before = live.fake.count(read)
    live.fake.fail_next(read, "EAPI:Rate limit exceeded")
    report = await live.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL
    assert live.fake.rate_limit_errors == 1
    assert live.time.slept  # waited (on the fake clock) before asking again
    assert live.fake.count(read) - before >= 2
    assert live.fake.count("AddOrder") == len(live.fake.orders) == 4


async def test_a_rate_limited_order_is_not_sent_again(live: Account) -> None:
    live.fake.fail_next("AddOrder", "EAPI:Rate limit exceeded", when={"pair": "SOLEUR"})
    report = await rebalanced(live)
    assert live.fake.count("AddOrder") == len(report.orders) == 4
    assert len(live.fake.orders) == 3
    sol = next(o for o in report.orders if o.asset == "SOL")
    assert (sol.status, sol.reason) == ("rejected", "EAPI:Rate limit exceeded")
    assert report.outcome is RunOutcome.PARTIAL


async def test_a_failed_sell_never_lets_the_buys_eat_the_cash_reserve(live: Account) -> None:
    await live.app.set_targets("BTC=45,ETH=45,EUR=10")
    live.fake.set_balance("ZEUR", 5000)
    live.fake.fail_next("AddOrder", "EOrder:Insufficient funds", when={"pair": "XXBTZEUR"})
    prepared = await live.app.prepare_rebalance(OWNER)
    reserve = cash_reserve(prepared.plan)
    assert reserve > 0 and prepared.plan.sells and prepared.plan.buys

    report = await live.app.execute(prepared.plan_id, OWNER)

    assert report.outcome is RunOutcome.PARTIAL
    assert (await live.holdings())["EUR"] >= reserve  # the buys shrank to what was free


async def test_a_front_end_that_fails_to_show_progress_does_not_stop_the_orders(
    live: Account,
) -> None:
    shown: list[str] = []

    async def broken(outcome: OrderOutcome) -> None:
        shown.append(outcome.asset)
        raise RuntimeError("the chat went away")

    prepared = await live.app.prepare_rebalance(OWNER)
    report = await live.app.execute(prepared.plan_id, OWNER, progress=broken)
    assert report.outcome is RunOutcome.FULL
    assert len(shown) == len(report.orders) == live.fake.count("AddOrder")


async def test_a_run_whose_lost_order_is_found_later_gets_its_totals_and_outcome_updated(
    live: Account,
) -> None:
    live.fake.fail_next("AddOrder", "drop_after", when={"pair": "XXBTZEUR"})
    live.fake.fail_next("OpenOrders", "EService:Unavailable", times=50)
    report = await rebalanced(live)
    (sell,) = [o for o in report.orders if o.asset == "BTC"]
    assert sell.status == "unknown" and report.outcome is RunOutcome.UNKNOWN  # not yet known

    live.fake.clear_faults()
    await live.app.reconcile()

    (run,) = live.app.history(1)
    assert run.outcome is RunOutcome.FULL
    assert run.traded_value == sum((o.cost for o in run.orders), Decimal(0))
    assert run.traded_value > report.traded_value  # the found sell now counts
    assert live.fake.count("AddOrder") == len(report.orders)


# -- orders of unknown mode, from before revision 0003 -----------------------------------------


def as_before_0003(account: Account, client_id: str) -> None:
    """What migration 0003 leaves of an unresolved order of a live plan made before 0002:
    no mode of its own, its plan and run labelled paper."""
    engine = make_engine(account.url)
    with engine.begin() as connection:
        plan_id = connection.exec_driver_sql(
            f"SELECT plan_id FROM journal WHERE client_order_id = '{client_id}'"
        ).scalar_one()
        connection.exec_driver_sql(
            f"UPDATE journal SET mode = NULL WHERE client_order_id = '{client_id}'"
        )
        connection.exec_driver_sql(f"UPDATE plans SET mode = 'paper' WHERE id = '{plan_id}'")
        connection.exec_driver_sql(f"UPDATE runs SET mode = 'paper' WHERE plan_id = '{plan_id}'")
    engine.dispose()


async def test_a_live_process_decides_an_order_of_unknown_mode_and_labels_it_live(
    live: Account,
) -> None:
    order = await dying_run(live)
    live.store.journal_update(order.client_id, status=OrderStatus.SENT, now=live.clock())
    sender = live.kraken_client()
    await sender.place_order(order)
    await sender.close()
    as_before_0003(live, order.client_id)

    app = await restarted(live)
    (resolved,) = await app.reconcile()

    assert (resolved.status, resolved.client_order_id) == ("filled", order.client_id)
    assert entry(live, order.client_id).mode == "live"
    (run,) = live.store.history(5, mode="live")
    assert run.outcome is RunOutcome.PARTIAL and live.store.history(5, mode="paper") == []
    assert live.fake.count("AddOrder") == 1


async def test_a_paper_process_leaves_an_order_of_unknown_mode_alone(paper: Account) -> None:
    prepared = await paper.app.prepare_rebalance(OWNER)
    store, now = paper.store, paper.clock()
    run_id = store.start_run(prepared.plan_id, OWNER, Decimal(1), now, mode="paper")
    sell = prepared.plan.sells[0]
    store.journal_intent(
        prepared.plan_id, run_id, "legacy-1", sell.symbol, sell.side, sell.amount, now, mode="paper"
    )
    as_before_0003(paper, "legacy-1")
    paper.clock.advance(minutes=SETTLE_AND_STALE)

    assert await paper.app.reconcile() == ()  # it may have been a live order: not paper's
    assert entry(paper, "legacy-1").status is OrderStatus.INTENT


async def test_an_execution_makes_n_plus_4_requests_and_reads_nothing_twice(
    live: Account,
) -> None:
    """The price check, the sells, one fill query, the balance between the waves, the buys,
    one fill query: the drift after comes from the fills and the prices just read."""
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.clear_requests()
    report = await live.app.execute(prepared.plan_id, OWNER)
    calls = endpoints(live.fake)
    n = len(report.orders)
    assert (report.outcome, n) == (RunOutcome.FULL, 4)
    assert len(calls) == n + 4, calls
    assert calls.count("Ticker") == 1 and calls.count("BalanceEx") == 1
    assert report.drift_after is not None and report.drift_after < 1
