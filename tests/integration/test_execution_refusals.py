"""Every way `execute` refuses a plan: it says why (`ExecutionRefused.code`), places nothing,
and leaves the journal, the lease and the account as they were. Live and paper mode alike."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal

import pytest

from core.errors import ExecutionRefused
from core.results import ExecutionReport, RunOutcome
from core.store.records import PlanStatus
from tests.integration.conftest import FRIEND, OWNER, Account


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
