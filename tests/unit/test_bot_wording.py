"""The words of the bot's replies: plurals, order failures, currencies, refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from bot import fmt
from bot.telegram import render, render_info
from bot.telegram.markup import esc
from bot.telegram.messages import describe, order_reason, refused
from core.app.api import ExecutionReport, OrderOutcome
from core.domain.models import Side
from core.domain.statuses import RunOutcome
from core.errors import FRESH_PLAN, ExecutionRefused, InputError
from tests.unit.builders import NOW
from tests.unit.test_bot_fakes import (
    assert_valid_telegram_html,
    run_summary,
    worked_plan,
)


def rejected(reason: str) -> OrderOutcome:
    amount = Decimal("0.47337505")
    return OrderOutcome(
        "cl-1", "SOL", "SOL/EUR", Side.BUY, amount, Decimal(0), None, Decimal(0), Decimal(0),
        "rejected", reason,
    )  # fmt: skip


def filled(fee: Decimal = Decimal("35.99")) -> OrderOutcome:
    return OrderOutcome(
        "cl-2", "BTC", "BTC/EUR", Side.SELL, Decimal("0.1"), Decimal("0.1"), Decimal(40000),
        Decimal(4000), fee, "filled",
    )  # fmt: skip


def report_of(*orders: OrderOutcome) -> ExecutionReport:
    return ExecutionReport(
        "p1", 1, RunOutcome.FULL, orders, (), Decimal(7), Decimal(1), NOW,
        NOW + timedelta(seconds=2), "EUR",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 buys"), (1, "1 buy"), (2, "2 buys"), (11, "11 buys")]
)
def test_plural_puts_an_s_on_every_count_but_one(count: int, text: str) -> None:
    assert fmt.plural(count, "buy") == text
    assert fmt.plural(2, "child", "children") == "2 children"


def test_plan_totals_count_sells_and_buys_in_words() -> None:
    plan = worked_plan()
    one_sell = replace(plan, orders=(plan.sells[0], *plan.buys))
    text = render.totals(one_sell)
    assert f"1 sell, {len(plan.buys)} buys:" in text and "(s)" not in text


def test_the_report_counts_orders_in_words_and_names_the_fee_currency() -> None:
    one = render.report(report_of(filled()), "paper")
    two = render.report(report_of(filled(), filled()), "paper")
    assert "1 of 1 order filled" in one and "2 of 2 orders filled" in two
    assert "fee 35.99 EUR" in one
    assert "(s)" not in one + two


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("EOrder:Insufficient funds", "not enough funds"),
        ("EOrder:Order minimum not met", "below Kraken's minimum order size"),
        ("EOrder:Cost minimum not met", "below Kraken's minimum order value"),
        ("EAPI:Rate limit exceeded", "Kraken's rate limit"),
    ],
)
def test_a_known_rejection_leads_with_words_and_keeps_krakens_code(code: str, words: str) -> None:
    line = render.order_line(rejected(code), "EUR")
    assert order_reason(code) == words
    assert line == esc(f"❌ BUY 0.47337505 SOL: rejected ({words}; Kraken: {code})")


def test_an_unknown_rejection_keeps_its_raw_reason() -> None:
    line = render.order_line(rejected("EOrder:Margin level too low"), "EUR")
    assert line == "❌ BUY 0.47337505 SOL: rejected: EOrder:Margin level too low"
    assert order_reason("EOrder:Margin level too low") is None


def test_a_partial_fill_explains_a_known_reason_too() -> None:
    order = replace(filled(), requested=Decimal("0.2"), status="partial")
    line = render.order_line(replace(order, reason="EOrder:Insufficient funds"), "EUR")
    assert "(partial of 0.2, not enough funds; Kraken: EOrder:Insufficient funds)" in line


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (RunOutcome.FULL, "Executed"),
        (RunOutcome.PARTIAL, "Done (partial)"),
        (RunOutcome.FAILED, "Failed"),
        (RunOutcome.NOTHING, "Nothing to execute"),
    ],
)
def test_the_status_under_a_confirmed_plan_follows_the_outcome(
    outcome: RunOutcome, words: str
) -> None:
    assert render.executed_status(outcome).startswith(words)


def test_history_says_rebalance_or_rebalances_and_names_the_currency() -> None:
    one = render_info.history([run_summary(1)], "EUR")
    three = render_info.history([run_summary(i) for i in range(1, 4)], "EUR")
    assert "<b>Last 1 rebalance</b>" in one and "<b>Last 3 rebalances</b>" in three
    assert "traded 4,000.00 EUR, fees 16.00 EUR" in one
    assert_valid_telegram_html(three)


def test_unlock_all_names_the_assets_when_it_can() -> None:
    assert render_info.unlock_all_result(1, ["BTC"]) == "🔓 Unlocked 1 asset: BTC."
    assert render_info.unlock_all_result(2, ["BTC", "ETH"]) == "🔓 Unlocked 2 assets: BTC, ETH."
    assert render_info.unlock_all_result(3, ["BTC"]) == "🔓 Unlocked 3 assets."  # a race
    assert render_info.unlock_all_result(0) == "Nothing was locked."
    assert "&lt;" in render_info.unlock_all_result(1, ["<X>"])


def test_a_refusal_is_worded_as_the_core_says_it_then_points_to_a_fresh_rebalance() -> None:
    expired = ExecutionRefused(
        "This plan expired at 10:02:00 UTC.", code="expired", next_step=FRESH_PLAN
    )
    cooldown = ExecutionRefused("The last rebalance ran at 10:00 UTC.", code="cooldown")
    assert (
        refused(expired) == "This plan expired at 10:02:00 UTC. Take a fresh plan with /rebalance."
    )
    assert refused(cooldown) == str(cooldown)


@pytest.mark.parametrize(
    ("code", "example"),
    [
        ("bad_symbol", "Example: /lock BTC"),
        ("not_tradable", "Example: /lock BTC"),
        ("targets_not_tradable", "Example: /targets BTC=40,ETH=30,SOL=20,ADA=10"),
        ("bad_weights", "Example: /targets BTC=40,ETH=30,SOL=20,ADA=10"),
    ],
)
def test_bad_input_from_the_core_gets_an_example_in_bot_commands(code: str, example: str) -> None:
    assert describe(InputError("That is wrong.", code=code)) == f"That is wrong. {example}"


def test_only_check_points_to_preview_and_rebalance() -> None:
    plan = worked_plan()
    hint = "See /preview, then /rebalance."
    assert hint in render.check(plan, "paper")
    assert hint not in render.preview(plan, "paper")
    assert hint not in render.not_due(replace(plan, rebalance_due=False))


def test_money_that_rounds_to_zero_shows_no_sign() -> None:
    assert fmt.money(Decimal("-0.001")) == "0.00"
    assert fmt.money(Decimal("-0.005")) == "0.00"  # half-even: to 0.00, still unsigned
    assert fmt.money(Decimal("-0.006")) == "-0.01"
