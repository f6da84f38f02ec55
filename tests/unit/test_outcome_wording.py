"""How a run that did not end cleanly is worded: an outcome not known yet, a database that
failed after orders went out, buys the re-sizing dropped. Each front end in its own terms."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from html import unescape

from bot.cli import render as cli_render
from bot.telegram import render, render_info
from core.app.api import ExecutionReport, OrderOutcome, RunSummary
from core.domain.models import Side, SkippedOrder
from core.domain.statuses import RunOutcome
from tests.unit.builders import NOW

SELL = OrderOutcome(
    "cl-1", "BTC", "BTC/EUR", Side.SELL, Decimal("0.225"), Decimal(0), None, Decimal(0),
    Decimal(0), "unknown", "answer lost",
)  # fmt: skip
FILLED = replace(
    SELL, status="filled", filled=Decimal("0.225"), average_price=Decimal(40000),
    cost=Decimal(9000), fee=Decimal(36), reason="",
)  # fmt: skip
DROPPED = tuple(
    SkippedOrder(a, Side.BUY, Decimal(1), Decimal(5), "below MIN_TRADE_VALUE: 5.00 < 10 EUR")
    for a in ("ETH", "SOL", "ADA")
)


def a_report(outcome: RunOutcome, *orders: OrderOutcome, **changes: object) -> ExecutionReport:
    report = ExecutionReport(
        "plan-1", 7, outcome, orders, (), Decimal("32.7"), None, NOW,
        NOW + timedelta(seconds=3), "EUR",
    )  # fmt: skip
    return replace(report, **changes)  # type: ignore[arg-type]


def test_an_order_of_unknown_outcome_is_worded_as_not_known_yet_in_telegram() -> None:
    text = unescape(render.report(a_report(RunOutcome.UNKNOWN, SELL), "live"))
    assert "Rebalance outcome not known yet" in text
    assert (
        "1 order's outcome is not known yet: it may have been placed; "
        "it will be checked again automatically; see /history" in text
    )
    assert "failed" not in text.lower()


def test_an_order_of_unknown_outcome_points_the_cli_to_its_own_history_command() -> None:
    text = cli_render.report(a_report(RunOutcome.UNKNOWN, SELL))
    assert "Rebalance outcome not known yet" in text
    assert "see `rebalance-bot history`" in text
    assert "/history" not in text and "/rebalance" not in text


def test_a_database_failure_after_orders_went_out_never_reads_nothing_changed() -> None:
    report = a_report(RunOutcome.UNKNOWN, SELL, problem="storage")
    for text in (render.report(report, "live"), cli_render.report(report)):
        assert "The database failed during the rebalance: orders may have been placed" in text
        assert "nothing was changed" not in text.lower()


def test_buys_the_resizing_dropped_are_named_with_the_reason() -> None:
    report = a_report(RunOutcome.PARTIAL, FILLED, dropped=DROPPED, skipped=DROPPED)
    telegram, cli = render.report(report, "paper"), cli_render.report(report)
    for text in (telegram, cli):
        assert "Not bought: ETH, SOL, ADA (below MIN_TRADE_VALUE" in text
    assert "Rebalance done in part" in telegram and "Rebalance done</b>" not in telegram


def test_history_says_which_orders_are_not_known_yet() -> None:
    run = unescape(render_info.history([_summary()], "EUR"))
    assert "outcome not known yet" in run
    assert "1 order's outcome is not known yet" in run


def test_a_later_check_that_resolves_an_order_is_worded_for_the_users() -> None:
    text = render_info.reconciled([FILLED])
    assert "Checked again" in text and "SELL 0.225 BTC: filled" in text


def _summary() -> RunSummary:
    return RunSummary(
        7, "plan-1", "111", NOW, RunOutcome.UNKNOWN, Decimal("32.7"), None, Decimal(0),
        Decimal(0), 3.0, (SELL,),
    )  # fmt: skip
