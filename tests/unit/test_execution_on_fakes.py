"""Execution on in-memory fakes: every refusal places nothing and leaves the plan as the
core says; a confirmed plan runs once, sells first. (The same paths over HTTP and SQLite:
tests/integration/test_execution_refusals.py and test_execution_outcomes.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from core.domain.models import Side
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome
from core.errors import ExecutionRefused
from tests.fakes.exchange import Call
from tests.unit.on_fakes import OWNER, STRANGER, Trader


@pytest.fixture
def trader() -> Trader:
    return Trader()


async def test_a_confirmed_plan_sells_then_buys_once_each_and_is_executed(trader: Trader) -> None:
    report = await trader.rebalanced()
    assert report.outcome is RunOutcome.FULL
    assert [o.side for o in report.orders] == [Side.SELL, Side.BUY, Side.BUY, Side.BUY]
    assert trader.exchange.sent() == [o.client_order_id for o in report.orders]
    assert trader.plan(report.plan_id).status is PlanStatus.EXECUTED
    assert [e.status for e in trader.journal(report.plan_id)] == [OrderStatus.FILLED] * 4
    (run,) = trader.store.history(5)
    assert (run.outcome, run.orders_ok, trader.store.lease_holder()) == (RunOutcome.FULL, 4, None)


async def test_a_plan_confirmed_twice_places_its_orders_once(trader: Trader) -> None:
    plan_id = await trader.prepared()
    await trader.execution(plan_id).run()
    with pytest.raises(ExecutionRefused) as caught:
        await trader.execution(plan_id).run()
    assert (caught.value.code, len(trader.exchange.sent())) == ("already_used", 4)


# -- refusals: nothing placed, the plan left as the core says ------------------------------------

Setup = Callable[[Trader, str], Awaitable[None]]


async def _expire(trader: Trader, _plan_id: str) -> None:
    trader.clock.advance(seconds=trader.settings.confirm_ttl_seconds)


async def _superseded(trader: Trader, _plan_id: str) -> None:
    """Another plan, made after this one, ran first: this plan's balances are out of date."""
    await trader.rebalanced()
    trader.exchange.calls.clear()


async def _locked_meanwhile(trader: Trader, _plan_id: str) -> None:
    trader.store.lock("SOL", OWNER, trader.clock())


async def _changed_during_price_check(trader: Trader, _plan_id: str) -> None:
    """The owner locks an asset while execution reads the prices, just before the claim."""

    def lock(call: Call) -> None:
        if call.method == "market_data":
            trader.store.lock("ADA", OWNER, trader.clock())

    trader.exchange.watchers.append(lock)


async def _prices_moved(trader: Trader, _plan_id: str) -> None:
    trader.exchange.move_price("BTC", Decimal("0.97"))


async def _other_mode(trader: Trader, _plan_id: str) -> None:
    trader.restart(mode="paper")


async def _tampered(trader: Trader, plan_id: str) -> None:
    """The stored plan no longer matches the hash of what was shown."""
    plans = trader.store.committed.plans
    plans[plan_id] = replace(plans[plan_id], content_hash="0" * 64)


async def _busy(trader: Trader, _plan_id: str) -> None:
    other = trader.processes.spawn()
    assert trader.store.acquire_lease("another-plan", other, 300)


REFUSALS: dict[str, tuple[Setup, str, PlanStatus]] = {
    "expired": (_expire, "expired", PlanStatus.EXPIRED),
    "superseded by a later run": (_superseded, "stale", PlanStatus.CANCELLED),
    "locks changed before": (_locked_meanwhile, "cancelled", PlanStatus.CANCELLED),
    "locks changed during": (_changed_during_price_check, "changed", PlanStatus.CANCELLED),
    "prices moved": (_prices_moved, "prices_moved", PlanStatus.CANCELLED),
    "other mode": (_other_mode, "other_mode", PlanStatus.CANCELLED),
    "content changed": (_tampered, "tampered", PlanStatus.CANCELLED),
    "another run holds the lease": (_busy, "busy", PlanStatus.PENDING),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_each_refusal_places_nothing_and_leaves_the_plan_as_the_core_says(
    trader: Trader, case: str
) -> None:
    setup, code, status = REFUSALS[case]
    plan_id = await trader.prepared()
    await setup(trader, plan_id)
    with pytest.raises(ExecutionRefused) as caught:
        await trader.execution(plan_id).run()
    assert caught.value.code == code
    assert trader.plan(plan_id).status is status
    assert trader.exchange.sent() == []
    assert trader.journal(plan_id) == []
    assert all(r.plan_id != plan_id for r in trader.store.history(10))


async def test_another_users_confirmation_is_refused_and_the_plan_stays_theirs(
    trader: Trader,
) -> None:
    plan_id = await trader.prepared()
    with pytest.raises(ExecutionRefused) as caught:
        await trader.execution(plan_id, STRANGER).run()
    assert (caught.value.code, trader.plan(plan_id).status) == ("other_user", PlanStatus.PENDING)
    assert trader.exchange.sent() == []
    assert (await trader.execution(plan_id).run()).outcome is RunOutcome.FULL


async def test_a_cooldown_lengthened_by_a_restart_keeps_the_plan_pending(trader: Trader) -> None:
    trader.restart(cooldown_minutes=1)
    await trader.rebalanced()
    trader.clock.advance(minutes=2)
    plan_id = await trader.prepared()
    sent = len(trader.exchange.sent())
    trader.restart(cooldown_minutes=60)
    with pytest.raises(ExecutionRefused) as caught:
        await trader.execution(plan_id).run()
    assert (caught.value.code, trader.plan(plan_id).status) == ("cooldown", PlanStatus.PENDING)
    assert len(trader.exchange.sent()) == sent
