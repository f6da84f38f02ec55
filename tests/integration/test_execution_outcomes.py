"""Reports that say what happened: an outcome not known yet is said so, a database failure
after an order was placed never reads "nothing changed", and buys the re-sizing dropped are
named. Real ccxt against the fake Kraken; a real SQLite lock held by another connection."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from decimal import Decimal

import pytest

from core.app.recovery import refresh_run_totals
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome
from core.errors import ExchangeError
from tests.integration.conftest import OWNER, Account


@contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another connection holds SQLite's write lock for as long as the block runs."""
    other = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


async def until(condition: object, tries: int = 200) -> None:
    for _ in range(tries):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


# -- 3. an outcome not known yet ----------------------------------------------------------------


async def test_an_order_booked_with_its_answer_lost_during_an_incident_is_reported_unknown(
    live: Account,
) -> None:
    """The audit's incident: AddOrder booked but its answer lost, the lookups and BalanceEx
    failing too. The run is not "failed": its outcome is not known yet."""
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.fail_next("AddOrder", "drop_after", when={"pair": "XXBTZEUR"})
    live.fake.fail_next("OpenOrders", "EService:Unavailable", times=50)
    live.fake.fail_next("BalanceEx", "EService:Unavailable", times=50)
    report = await live.app.execute(prepared.plan_id, OWNER)

    assert report.outcome is RunOutcome.UNKNOWN
    assert (report.unresolved, report.failed) == (1, 3)  # the sell unknown; buys not sent
    (run,) = live.app.history(1)
    assert run.outcome is RunOutcome.UNKNOWN
    assert live.fake.count("AddOrder") == 1

    live.fake.clear_faults()
    (found,) = await live.app.reconcile()  # what the bot's timer does
    assert found.status == "filled"
    (run,) = live.app.history(1)
    assert run.outcome is RunOutcome.PARTIAL  # the sell filled, the buys were never sent
    assert run.traded_value > 0
    assert live.fake.count("AddOrder") == 1


# -- 4. a database failure after an order was placed ---------------------------------------------


async def test_a_database_locked_while_an_order_is_in_flight_never_reads_nothing_changed(
    live: Account,
) -> None:
    live.busy_timeout_ms = 100
    app = await live.restart()
    prepared = await app.prepare_rebalance(OWNER)
    live.fake.fail_next("AddOrder", "delay_after:1", when={"pair": "XXBTZEUR"})
    running = asyncio.ensure_future(app.execute(prepared.plan_id, OWNER))
    await until(live.placed)
    with write_lock_held(live.url):
        report = await running  # no exception: the sell is out

    assert report.problem == "storage"
    (sell,) = report.orders  # accepted by Kraken; its fill could not be confirmed
    assert (sell.asset, sell.status) == ("BTC", "open")
    assert report.outcome is RunOutcome.UNKNOWN  # not "failed", not "nothing changed"
    assert live.fake.count("AddOrder") == 1  # the failed journal write was retried, not the order
    (entry,) = live.store.journal_for_plan(prepared.plan_id)
    assert entry.status is OrderStatus.SENT  # left for reconciliation

    (found,) = await app.reconcile()
    assert (found.status, found.client_order_id) == ("filled", sell.client_order_id)
    assert found.filled == Decimal("0.225")
    (run,) = app.history(1)
    assert run.outcome is RunOutcome.PARTIAL
    assert live.store.get_plan(prepared.plan_id).status is PlanStatus.EXECUTED  # type: ignore[union-attr]
    assert live.fake.count("AddOrder") == 1


async def test_a_journal_write_that_fails_once_after_an_answer_is_retried_and_the_run_goes_on(
    live: Account,
) -> None:
    live.busy_timeout_ms = 100
    app = await live.restart()
    prepared = await app.prepare_rebalance(OWNER)
    live.fake.fail_next("AddOrder", "delay_after:0.5", when={"pair": "XXBTZEUR"})
    running = asyncio.ensure_future(app.execute(prepared.plan_id, OWNER))
    await until(live.placed)
    with write_lock_held(live.url):
        await asyncio.sleep(0.6)  # the answer comes while the lock is held, briefly
    report = await running
    assert (report.outcome, report.problem) == (RunOutcome.FULL, "")
    assert live.fake.count("AddOrder") == 4


# -- 7. the plan after a failed price check; buys the re-sizing dropped -------------------------


async def test_a_failed_price_check_leaves_the_plan_confirmable(live: Account) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.fail_next("Ticker", "EService:Unavailable", times=4)
    with suppress(ExchangeError):
        await live.app.execute(prepared.plan_id, OWNER)
    assert live.app.plan_confirmable(prepared.plan_id) is True


async def test_a_lock_during_a_failed_price_check_withdraws_the_plan_for_good(
    live: Account,
) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.latency = 0.2  # each of the price check's four tries takes a moment
    live.fake.fail_next("Ticker", "EService:Unavailable", times=4)
    executing = asyncio.ensure_future(live.app.execute(prepared.plan_id, OWNER))
    await asyncio.sleep(0.3)
    await live.app.lock("ADA", OWNER)
    with pytest.raises(ExchangeError):
        await executing
    assert live.store.get_plan(prepared.plan_id).status is PlanStatus.CANCELLED  # type: ignore[union-attr]
    assert live.app.plan_confirmable(prepared.plan_id) is False  # the bot drops the buttons


async def test_a_run_whose_resizing_dropped_every_buy_says_what_was_not_bought_and_why(
    live: Account,
) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.fail_next("QueryOrders", "delay:0.3")
    executing = asyncio.ensure_future(live.app.execute(prepared.plan_id, OWNER))
    await until(live.placed)
    live.fake.set_balance("ZEUR", 0)  # the sell's cash is gone before the buys are sized
    report = await executing

    assert [o.asset for o in report.orders] == ["BTC"]
    assert report.outcome is RunOutcome.PARTIAL  # not "done": nothing was bought
    assert {d.asset for d in report.dropped} == {"ETH", "SOL", "ADA"}
    assert all("cash" in d.reason or "minimum" in d.reason for d in report.dropped)


async def test_a_later_reconciliation_never_relabels_a_run_with_dropped_buys_full(
    live: Account,
) -> None:
    """The run's totals are redone when a late answer resolves one of its orders: the buys
    the re-sizing left out were never sent, so the run stays partial."""
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.fail_next("QueryOrders", "delay:0.3")
    executing = asyncio.ensure_future(live.app.execute(prepared.plan_id, OWNER))
    await until(live.placed)
    live.fake.set_balance("ZEUR", 0)
    report = await executing
    (sell,) = report.orders

    refresh_run_totals(live.store, [sell.client_order_id], live.clock())

    (run,) = live.app.history(1)
    assert run.outcome is RunOutcome.PARTIAL


# -- 7. fills: their mode and the exchange's close time -----------------------------------------


async def test_fills_record_their_mode_and_the_exchanges_close_time(account: Account) -> None:
    account.settings = replace(account.settings)
    prepared = await account.app.prepare_rebalance(OWNER)
    await account.app.execute(prepared.plan_id, OWNER)
    fills = account.store.fills()
    assert len(fills) == 4
    mode = "live" if account.mode == "live" else "paper"
    assert {f.mode for f in fills} == {mode}
    assert account.store.fills(mode="live" if mode == "paper" else "paper") == []
    if account.mode == "live":
        booked = {o.txid: o for o in account.fake.orders}
        assert all(f.filled_at != account.clock() for f in fills)  # Kraken's closetm
        assert all(booked[f.exchange_order_id] for f in fills)
