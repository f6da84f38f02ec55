"""One plan confirmed several times at once (a double tap, the bot and the CLI together):
exactly one execution places orders; every other call is refused and places nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from core.app.api import ExecutionReport
from core.domain.statuses import RunOutcome
from core.errors import ExecutionRefused
from tests.integration.conftest import OWNER, Account

pytestmark = pytest.mark.both_engines  # each test on SQLite and on PostgreSQL


async def race(*calls: Awaitable[ExecutionReport]) -> tuple[ExecutionReport, list[str]]:
    """The one report of `calls` run concurrently, and the refusal codes of the others."""
    results = await asyncio.gather(*calls, return_exceptions=True)
    reports = [r for r in results if isinstance(r, ExecutionReport)]
    codes = [r.code for r in results if isinstance(r, ExecutionRefused)]
    assert len(reports) == 1, results
    assert len(codes) == len(results) - 1, results
    return reports[0], codes


def assert_one_set_of_orders(account: Account, report: ExecutionReport) -> None:
    """The exchange holds exactly the report's orders, each once, as journaled."""
    ids = [o.client_order_id for o in report.orders]
    assert sorted(account.placed()) == sorted(ids)
    assert [e.client_order_id for e in account.journal(report.plan_id)] == ids
    assert account.store.lease_holder() is None


async def test_the_same_plan_from_two_tasks_places_one_set_of_orders(account: Account) -> None:
    account.fake.latency = 0.01  # every request yields, so the two calls truly interleave
    prepared = await account.app.prepare_rebalance(OWNER)
    report, codes = await race(
        account.app.execute(prepared.plan_id, OWNER),
        account.app.execute(prepared.plan_id, OWNER),
    )
    assert report.outcome is RunOutcome.FULL
    assert codes in (["already_used"], ["busy"])
    assert_one_set_of_orders(account, report)


async def test_five_taps_on_confirm_place_the_orders_once(live: Account) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    report, codes = await race(*(live.app.execute(prepared.plan_id, OWNER) for _ in range(5)))
    assert set(codes) <= {"already_used", "busy"}
    assert live.fake.count("AddOrder") == len(report.orders) == 4
    assert_one_set_of_orders(live, report)


async def test_the_bot_and_the_cli_confirming_the_same_plan_place_it_once(
    live: Account,
) -> None:
    """Two processes (two Stores, two ccxt clients) on the same database and account."""
    cli = Account(live.mode, live.url, live.clock, live.kraken)
    cli.open()
    try:
        live.fake.latency = 0.01
        prepared = await live.app.prepare_rebalance(OWNER)
        report, codes = await race(
            live.app.execute(prepared.plan_id, OWNER), cli.app.execute(prepared.plan_id, OWNER)
        )
    finally:
        await cli.close()
    assert codes in (["already_used"], ["busy"])
    assert_one_set_of_orders(live, report)


async def test_the_same_plan_twice_at_once_in_paper_mode_moves_the_balances_once(
    paper: Account,
) -> None:
    prepared = await paper.app.prepare_rebalance(OWNER)
    report, _ = await race(
        paper.app.execute(prepared.plan_id, OWNER), paper.app.execute(prepared.plan_id, OWNER)
    )
    assert_one_set_of_orders(paper, report)
    held, sold = prepared.plan.line("BTC"), prepared.plan.sells[0]
    assert held is not None and sold.asset == "BTC"
    assert (paper.store.paper_balances() or {})["BTC"] == held.amount - sold.amount
