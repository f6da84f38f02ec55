"""Every way `execute` refuses a plan: it says why (`ExecutionRefused.code`), places nothing,
and leaves the journal, the lease and the account as they were. Live and paper mode alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from core.app.api import ExecutionReport
from core.app.rebalancer import Rebalancer
from core.domain.statuses import PlanStatus, RunOutcome
from core.errors import ExecutionRefused
from tests.integration.conftest import FRIEND, OWNER, Account

pytestmark = pytest.mark.both_engines  # each test on SQLite and on PostgreSQL


async def refused(account: Account, plan_id: str, user_id: str = OWNER) -> ExecutionRefused:
    """The refusal of `execute`, after checking it placed nothing and changed no balance."""
    placed, holdings = account.placed(), await account.holdings()
    with pytest.raises(ExecutionRefused) as caught:
        await account.app.execute(plan_id, user_id)
    assert account.placed() == placed
    assert await account.holdings() == holdings
    assert account.journal(plan_id) == []
    assert_settled(account)
    return caught.value


def assert_settled(account: Account) -> None:
    """No order left to ask about and nobody holding the execution lease."""
    assert account.store.journal_unresolved() == []
    assert account.store.lease_holder() is None


def status(account: Account, plan_id: str) -> PlanStatus:
    plan = account.store.get_plan(plan_id)
    assert plan is not None
    return plan.status


async def executed(account: Account, user_id: str = OWNER) -> ExecutionReport:
    prepared = await account.app.prepare_rebalance(user_id)
    return await account.app.execute(prepared.plan_id, user_id)


async def test_an_unknown_plan_is_refused(account: Account) -> None:
    error = await refused(account, "no-such-plan")
    assert error.code == "unknown_plan"


async def test_a_plan_confirmed_after_its_ttl_is_refused_as_expired(account: Account) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    account.clock.advance(seconds=account.settings.confirm_ttl_seconds + 1)
    error = await refused(account, prepared.plan_id)
    assert error.code == "expired"
    assert status(account, prepared.plan_id) is PlanStatus.EXPIRED


async def test_a_plan_confirmed_just_before_its_ttl_still_runs(account: Account) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    account.clock.advance(seconds=account.settings.confirm_ttl_seconds - 1)
    report = await account.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL


async def test_another_user_cannot_execute_a_plan_and_its_owner_still_can(
    account: Account,
) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    error = await refused(account, prepared.plan_id, FRIEND)
    assert error.code == "other_user"
    assert status(account, prepared.plan_id) is PlanStatus.PENDING
    report = await account.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL


async def test_a_plan_runs_once_and_a_second_execution_is_refused_as_already_used(
    account: Account,
) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    first = await account.app.execute(prepared.plan_id, OWNER)
    journal = account.journal(prepared.plan_id)
    placed, holdings = account.placed(), await account.holdings()
    with pytest.raises(ExecutionRefused) as caught:
        await account.app.execute(prepared.plan_id, OWNER)
    assert caught.value.code == "already_used"
    assert (account.placed(), await account.holdings()) == (placed, holdings)
    assert account.journal(prepared.plan_id) == journal
    assert len(journal) == len(first.orders)
    assert status(account, prepared.plan_id) is PlanStatus.EXECUTED
    assert_settled(account)


async def test_a_cancelled_plan_is_refused(account: Account) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    account.app.cancel(prepared.plan_id, OWNER)
    error = await refused(account, prepared.plan_id)
    assert error.code == "cancelled"


async def test_a_second_rebalance_within_the_cooldown_is_refused_and_runs_after_it(
    account: Account,
) -> None:
    await executed(account)
    await account.app.set_targets("BTC=25,ETH=25,SOL=25,ADA=25")  # due again at once
    account.clock.advance(minutes=account.settings.cooldown_minutes - 1)
    again = await account.app.prepare_rebalance(OWNER)
    assert again.plan.orders
    error = await refused(account, again.plan_id)
    assert error.code == "cooldown"
    assert "REBALANCE_COOLDOWN_MINUTES=60" in str(error)
    assert status(account, again.plan_id) is PlanStatus.PENDING
    account.clock.advance(minutes=2)
    report = await executed(account)
    assert report.outcome is RunOutcome.FULL


async def test_a_plan_whose_price_moved_beyond_the_tolerance_is_refused(
    account: Account,
) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    account.fake.set_price("BTC/EUR", "40600")  # mid 40,000 -> 40,600: +1.5 %
    error = await refused(account, prepared.plan_id)
    assert error.code == "prices_moved"
    assert "BTC +1.50%" in str(error)
    assert status(account, prepared.plan_id) is PlanStatus.CANCELLED


async def test_a_price_move_within_the_tolerance_does_not_stop_the_plan(account: Account) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    account.fake.set_price("BTC/EUR", "40200")  # +0.5 %
    report = await account.app.execute(prepared.plan_id, OWNER)
    assert report.outcome is RunOutcome.FULL


async def test_a_confirm_during_a_reconciliation_says_earlier_orders_are_being_checked(
    account: Account,
) -> None:
    prepared = await account.app.prepare_rebalance(OWNER)
    other = account.processes.spawn(host="otherhost")  # another process reconciling
    assert account.store.acquire_lease("reconcile", other, 300)
    with pytest.raises(ExecutionRefused) as caught:
        await account.app.execute(prepared.plan_id, OWNER)
    assert caught.value.code == "busy"
    assert "being checked with the exchange" in str(caught.value)
    assert status(account, prepared.plan_id) is PlanStatus.PENDING


async def test_two_plans_executed_at_once_run_one_and_refuse_the_other_as_busy(
    account: Account,
) -> None:
    first = await account.app.prepare_rebalance(OWNER)
    second = await account.app.prepare_rebalance(FRIEND)
    results = await asyncio.gather(
        account.app.execute(first.plan_id, OWNER),
        account.app.execute(second.plan_id, FRIEND),
        return_exceptions=True,
    )
    reports = [r for r in results if isinstance(r, ExecutionReport)]
    refusals = [r for r in results if isinstance(r, ExecutionRefused)]
    assert len(reports) == 1
    assert [e.code for e in refusals] == ["busy"]
    winner = reports[0].plan_id
    loser = second.plan_id if winner == first.plan_id else first.plan_id
    assert sorted(account.placed()) == sorted(e.client_order_id for e in account.journal(winner))
    assert account.journal(loser) == []
    assert status(account, loser) is PlanStatus.PENDING  # refused, not queued nor consumed
    assert_settled(account)


async def test_refusals_leave_the_cash_and_holdings_untouched_in_paper_mode(
    paper: Account,
) -> None:
    prepared = await paper.app.prepare_rebalance(OWNER)
    before = paper.store.paper_balances()
    paper.app.cancel(prepared.plan_id, OWNER)
    with pytest.raises(ExecutionRefused):
        await paper.app.execute(prepared.plan_id, OWNER)
    assert paper.store.paper_balances() == before
    assert paper.store.paper_orders() == []
    assert before is not None and before["BTC"] == Decimal("0.5")


async def test_a_plan_made_before_another_rebalance_ran_is_refused_as_stale(
    account: Account,
) -> None:
    account.settings = replace(account.settings, cooldown_minutes=0)
    await account.restart()
    first = await account.app.prepare_rebalance(OWNER)
    second = await account.app.prepare_rebalance(OWNER)
    await account.app.execute(first.plan_id, OWNER)

    error = await refused(account, second.plan_id)

    assert error.code == "stale"
    assert status(account, second.plan_id) is PlanStatus.CANCELLED


@pytest.mark.parametrize("change", ["lock", "targets", "unlock"])
async def test_a_plan_is_withdrawn_when_locks_or_targets_change_after_it_was_made(
    account: Account, change: str
) -> None:
    if change == "unlock":
        await account.app.lock("ADA", OWNER)
    prepared = await account.app.prepare_rebalance(OWNER)
    if change == "lock":
        await account.app.lock("BTC", FRIEND)
    elif change == "targets":
        await account.app.set_targets("BTC=100")
    else:
        account.app.unlock("ADA")

    error = await refused(account, prepared.plan_id)

    assert error.code == "cancelled"
    assert "locks or targets changed" in str(error)


# -- paper, then live, on one database ----------------------------------------------------------


def in_mode(account: Account, mode: str) -> Rebalancer:
    """Another Rebalancer on the account's database, exchange and clock, in `mode`: a process
    started with another TRADING_MODE on the same DATABASE_URL (the exchange kind does not
    matter to what these tests check)."""
    app = account.app
    return Rebalancer(replace(app.settings, mode=mode), app.exchange, app.store, app.clock)


async def test_a_paper_run_neither_starts_the_live_cooldown_nor_shows_in_live_stats_or_history(
    paper: Account,
) -> None:
    paper_run = await executed(paper)
    live = in_mode(paper, "live")

    stats = live.stats()
    assert (stats.runs, stats.total_traded, stats.last_run) == (0, Decimal(0), None)
    assert (stats.cooldown_ends_at, stats.volume_by_asset) == (None, {})
    assert live.history() == ()
    assert [r.run_id for r in paper.app.history()] == [paper_run.run_id]
    assert paper.app.stats().runs == 1

    await live.set_targets("BTC=25,ETH=25,SOL=25,ADA=25")  # due again, within paper's cooldown
    prepared = await live.prepare_rebalance(OWNER)
    live_run = await live.execute(prepared.plan_id, OWNER)

    assert live_run.outcome is RunOutcome.FULL
    assert [r.run_id for r in live.history()] == [live_run.run_id]
    assert [r.run_id for r in paper.app.history()] == [paper_run.run_id]
    assert live.stats().cooldown_ends_at == live_run.started_at + timedelta(minutes=60)


async def test_a_paper_run_does_not_supersede_a_live_plan(paper: Account) -> None:
    live = in_mode(paper, "live")
    live_plan = await live.prepare_rebalance(OWNER)

    paper.clock.advance(seconds=10)
    await executed(paper)
    report = await live.execute(live_plan.plan_id, OWNER)  # neither "stale" nor "cooldown"

    assert report.plan_id == live_plan.plan_id
    assert status(paper, live_plan.plan_id) is PlanStatus.EXECUTED


@pytest.mark.parametrize(("made_in", "run_in"), [("paper", "live"), ("live", "paper")])
async def test_a_plan_made_in_one_mode_is_refused_in_the_other(
    paper: Account, made_in: str, run_in: str
) -> None:
    prepared = await in_mode(paper, made_in).prepare_rebalance(OWNER)
    other = in_mode(paper, run_in)
    balances = paper.store.paper_balances()

    with pytest.raises(ExecutionRefused) as caught:
        await other.execute(prepared.plan_id, OWNER)

    assert caught.value.code == "other_mode"
    assert str(caught.value) == (
        f"This plan was made in {made_in} mode; the bot now runs in {run_in} mode. "
        "Nothing was placed: take a fresh plan."
    )
    assert status(paper, prepared.plan_id) is PlanStatus.CANCELLED
    assert paper.journal(prepared.plan_id) == [] and paper.store.paper_orders() == []
    assert paper.store.paper_balances() == balances
    assert other.history() == () and other.stats().runs == 0
    assert_settled(paper)


async def test_a_paper_process_never_decides_a_live_order_left_unresolved(
    paper: Account,
) -> None:
    live = in_mode(paper, "live")
    prepared = await live.prepare_rebalance(OWNER)
    store, now = paper.store, paper.clock()
    store.claim_plan(prepared.plan_id, OWNER, now)
    run_id = store.start_run(prepared.plan_id, OWNER, prepared.plan.max_drift_pct, now, mode="live")
    sell = prepared.plan.sells[0]
    store.journal_intent(
        prepared.plan_id,
        run_id,
        "live-order-1",
        sell.symbol,
        sell.side,
        sell.amount,
        now,
        mode="live",
    )
    paper.clock.advance(minutes=30)  # well past the settle time

    assert await paper.app.reconcile() == ()  # paper's exchange is not where it was sent

    (entry,) = store.journal_for_ids(["live-order-1"])
    assert entry.status.unresolved
    assert [r.id for r in store.unfinished_runs("live")] == [run_id]
