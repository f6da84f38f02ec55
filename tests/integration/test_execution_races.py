"""Races the audit reproduced: a plan read before another run, a lock landing while a plan is
prepared, leases across clocks and restarts. Each interleaving is forced with the fake
Kraken's delays, so it happens the same way every time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

import pytest

from core.app.api import PreparedPlan
from core.domain.statuses import PlanStatus, RunOutcome
from core.errors import ExecutionRefused
from tests.integration.conftest import OWNER, Account, FakeClock

T = TypeVar("T")
pytestmark = pytest.mark.both_engines  # each test on SQLite and on PostgreSQL


@pytest.fixture
async def cli(account: Account) -> AsyncIterator[Account]:
    """A second process (the CLI) beside the bot's, on the same database and account."""
    other = account.sibling()
    try:
        yield other
    finally:
        await other.close()


async def in_flight(call: Awaitable[T]) -> asyncio.Task[T]:
    """Start `call` and let it run until it waits on the exchange."""
    task = asyncio.ensure_future(call)
    await asyncio.sleep(0.2)
    assert not task.done()
    return task


def status(account: Account, plan_id: str) -> PlanStatus:
    plan = account.store.get_plan(plan_id)
    assert plan is not None
    return plan.status


# -- 1. one intended rebalance, executed once ------------------------------------------------


async def test_a_plan_whose_balances_were_read_before_another_run_started_is_refused(
    account: Account, cli: Account
) -> None:
    """The audit's sequence: the CLI reads balances; the bot's run starts and finishes;
    the CLI's plan is stored a moment later. Its sells were sold already: refused."""
    for each in (account, cli):
        each.settings = replace(each.settings, cooldown_minutes=0)
    bot, cli_app = await account.restart(), await cli.restart()
    bot_plan = await bot.prepare_rebalance(OWNER)
    account.fake.fail_next("Ticker", "delay:1")  # the CLI's read is slow
    reading = await in_flight(cli_app.prepare_rebalance(OWNER))
    account.clock.advance(seconds=1)
    report = await bot.execute(bot_plan.plan_id, OWNER)
    account.clock.advance(seconds=1)
    stale: PreparedPlan = await reading
    assert stale.plan.created_at > report.started_at  # stored after the run started

    with pytest.raises(ExecutionRefused) as caught:
        await cli_app.execute(stale.plan_id, OWNER)
    assert caught.value.code == "stale"
    assert sorted(account.placed()) == sorted(o.client_order_id for o in report.orders)
    assert status(account, stale.plan_id) is PlanStatus.CANCELLED


async def test_a_plan_read_while_another_run_was_still_running_is_refused(live: Account) -> None:
    """Live only: the fake's AddOrder answers late, so the bot's run is still under way."""
    live.settings = replace(live.settings, cooldown_minutes=0)
    bot = await live.restart()
    cli = live.sibling()
    try:
        bot_plan = await bot.prepare_rebalance(OWNER)
        live.fake.fail_next("AddOrder", "delay_after:1")  # booked at once, answered late
        running = await in_flight(bot.execute(bot_plan.plan_id, OWNER))
        during = await cli.app.prepare_rebalance(OWNER)  # read while the run is under way
        await running
        with pytest.raises(ExecutionRefused) as caught:
            await cli.app.execute(during.plan_id, OWNER)
    finally:
        await cli.close()
    assert caught.value.code == "stale"


async def test_a_plan_made_after_the_last_run_ended_still_runs(
    account: Account, cli: Account
) -> None:
    for each in (account, cli):
        each.settings = replace(each.settings, cooldown_minutes=0)
    bot, cli_app = await account.restart(), await cli.restart()
    first = await bot.prepare_rebalance(OWNER)
    await bot.execute(first.plan_id, OWNER)
    await cli_app.set_targets("BTC=25,ETH=25,SOL=25,ADA=25")
    after = await cli_app.prepare_rebalance(OWNER)
    report = await cli_app.execute(after.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL


# -- 2. a lock or target change while a plan is prepared --------------------------------------


async def test_a_lock_landing_while_a_plan_reads_prices_refuses_that_plan(
    account: Account,
) -> None:
    account.fake.fail_next("Ticker", "delay:1")
    reading = await in_flight(account.app.prepare_rebalance(OWNER))
    assert await account.app.lock("BTC", OWNER) is True
    prepared = await reading
    assert any(o.asset == "BTC" for o in prepared.plan.orders)  # made under the old locks
    placed = account.placed()

    with pytest.raises(ExecutionRefused) as caught:
        await account.app.execute(prepared.plan_id, OWNER)
    assert caught.value.code == "changed"
    assert "locks or targets changed since this plan was made" in str(caught.value)
    assert account.placed() == placed
    assert status(account, prepared.plan_id) is PlanStatus.CANCELLED


async def test_new_targets_landing_while_a_plan_reads_prices_refuse_that_plan(
    account: Account,
) -> None:
    account.fake.fail_next("Ticker", "delay:1")
    reading = await in_flight(account.app.prepare_rebalance(OWNER))
    await account.app.set_targets("BTC=70,ETH=10,SOL=10,ADA=10")
    prepared = await reading

    with pytest.raises(ExecutionRefused) as caught:
        await account.app.execute(prepared.plan_id, OWNER)
    assert caught.value.code == "changed"
    assert account.placed() == []


async def test_a_lock_changed_and_changed_back_still_refuses_the_plan_made_before(
    account: Account,
) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    await account.app.lock("ADA", OWNER)
    account.app.unlock("ADA")
    with pytest.raises(ExecutionRefused) as caught:
        await account.app.execute(prepared.plan_id, OWNER)
    assert caught.value.code == "cancelled"  # withdrawn by the change itself


# -- 5. leases by the database's clock, kept fresh while a run waits ---------------------------


async def test_a_process_whose_clock_runs_an_hour_ahead_cannot_take_a_live_lease(
    live: Account,
) -> None:
    ahead = live.sibling()
    try:
        ahead.clock = FakeClock(live.clock() + timedelta(hours=1))
        app = await ahead.restart()
        holder = live.app.lease_terms
        assert live.store.acquire_lease("bot-plan", holder.owner, holder.stale_seconds)
        prepared = await app.prepare_rebalance(OWNER)
        with pytest.raises(ExecutionRefused) as caught:
            await app.execute(prepared.plan_id, OWNER)
        assert caught.value.code == "busy"
        assert live.store.lease_holder() == "bot-plan"
    finally:
        await ahead.close()


async def test_the_lease_is_kept_fresh_while_the_run_waits_for_its_fills(live: Account) -> None:
    live.settings = replace(live.settings, lease_stale_seconds=1)  # a heartbeat every 0.2 s
    app = await live.restart()
    prepared = await app.prepare_rebalance(OWNER)
    live.fake.fail_next("QueryOrders", "delay:1.5")  # the sells' fills take long to confirm
    running = await in_flight(app.execute(prepared.plan_id, OWNER))
    await asyncio.sleep(1.2)  # longer than the stale age since the only order was sent

    intruder = live.processes.spawn(host="otherhost")
    assert live.store.acquire_lease("intruder", intruder, 1) is False
    report = await running
    assert report.outcome is RunOutcome.FULL
    assert live.store.lease_holder() is None


async def test_no_order_is_sent_once_the_lease_was_taken_over_during_a_wait(
    live: Account,
) -> None:
    app = live.app
    prepared = await app.prepare_rebalance(OWNER)
    live.fake.fail_next("QueryOrders", "delay:1")
    running = await in_flight(app.execute(prepared.plan_id, OWNER))
    assert live.store.force_release_lease() == prepared.plan_id  # an operator, or a takeover
    assert live.store.acquire_lease("other", live.processes.spawn(), 300)
    report = await running
    assert [o.status for o in report.orders] == ["filled", "rejected", "rejected", "rejected"]
    assert all("lease" in o.reason for o in report.orders[1:])
    assert live.fake.count("AddOrder") == 1


async def test_the_reconcile_lease_is_kept_fresh_while_it_waits_on_the_exchange(
    live: Account,
) -> None:
    live.settings = replace(live.settings, lease_stale_seconds=1)
    app = await live.restart()
    live.fake.fail_next("AddOrder", "drop_after", when={"pair": "XXBTZEUR"})
    live.fake.fail_next("OpenOrders", "EService:Unavailable", times=50)
    prepared = await app.prepare_rebalance(OWNER)
    await app.execute(prepared.plan_id, OWNER)
    live.fake.clear_faults()
    live.fake.fail_next("OpenOrders", "delay:1.5")
    reconciling = await in_flight(app.reconcile())
    await asyncio.sleep(1.2)

    assert live.store.acquire_lease("intruder", live.processes.spawn(host="otherhost"), 1) is False
    (resolved,) = await reconciling
    assert resolved.status == "filled"


# -- 6. a quick restart reconciles at once ------------------------------------------------------


async def test_a_restart_within_the_stale_age_takes_over_the_dead_predecessors_lease_at_once(
    live: Account,
) -> None:
    """The process died holding the lease with an order at Kraken; a supervisor restarts it
    at once. Nothing waits for LEASE_STALE_SECONDS: the lease's owner is known dead."""
    live.fake.fail_next("AddOrder", "delay_after:30")  # booked, then the process dies
    prepared = await live.app.prepare_rebalance(OWNER)
    dying = await in_flight(live.app.execute(prepared.plan_id, OWNER))
    await until_placed(live)
    dying.cancel()  # the process is gone: no answer read, the lease never given back
    with pytest.raises(asyncio.CancelledError):
        await dying
    live.store.acquire_lease(prepared.plan_id, live.app.lease_terms.owner, 300)  # still held

    app = await live.restart()  # same host, a new process: no clock moved
    (resolved,) = await app.reconcile()
    assert resolved.status == "filled"
    assert live.fake.count("AddOrder") == 1
    (run,) = app.history(1)
    assert run.outcome is RunOutcome.PARTIAL


async def until_placed(account: Account) -> None:
    for _ in range(100):
        if account.placed():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no order reached the exchange")
