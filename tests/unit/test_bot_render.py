"""Rendering core results as Telegram HTML: escaped, narrow, valid."""

from __future__ import annotations

import struct
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.cli import render as cli_render
from bot.telegram import charts, render, render_info
from bot.telegram.messages import describe
from core.app.api import DriftAlert, LockInfo, PreparedPlan
from core.domain.models import LineStatus, Plan
from core.domain.planner import make_plan
from core.domain.strategy import parse_rebalance_to
from core.errors import (
    AuthenticationError,
    InputError,
    OrderOutcomeUnknown,
    RateLimited,
)
from tests.unit.builders import (
    NOW,
    WORKED_AMOUNTS,
    WORKED_PRICES,
    WORKED_TARGETS,
    decimals,
    plan_settings,
    portfolio,
    worked_portfolio,
)
from tests.unit.test_bot_fakes import assert_valid_telegram_html, run_summary, worked_plan


def widest_pre_line(html: str) -> int:
    tables = [part.split("</pre>")[0] for part in html.split("<pre>")[1:]]
    return max((len(line) for t in tables for line in t.splitlines()), default=0)


def test_check_preview_and_plan_are_valid_html_with_phone_width_tables() -> None:
    plan = worked_plan()
    prepared = PreparedPlan("p1", "111", plan, NOW + timedelta(minutes=2))
    for html in (
        render.check(plan, "paper"),
        render.preview(plan, "live"),
        render.prepared(prepared, "live"),
    ):
        assert_valid_telegram_html(html)
        assert widest_pre_line(html) <= 36


def test_a_plan_in_live_mode_says_real_orders() -> None:
    prepared = PreparedPlan("p1", "111", worked_plan(), NOW + timedelta(minutes=2))
    assert "real orders on Kraken" in render.prepared(prepared, "live")


@given(hostile=st.text(min_size=1, max_size=40))
def test_inserted_values_are_escaped_wherever_they_appear(hostile: str) -> None:
    plan = worked_plan()
    lines = tuple(
        replace(x, asset=hostile[:10], status=LineStatus.LOCKED, note=hostile) if i == 0 else x
        for i, x in enumerate(plan.lines)
    )
    hostile_plan = replace(plan, lines=lines)
    lock = LockInfo(hostile[:10], "111", NOW, hostile)
    for html in (
        render.check(hostile_plan, "paper"),
        render_info.locked([lock]),
        render_info.lock_result(hostile, True),
        render_info.unknown_command(hostile),
        render_info.check_failing(hostile),
    ):
        assert_valid_telegram_html(html)


def test_alert_shows_the_drifting_assets_and_the_rebalance_hint() -> None:
    html = render_info.alert(DriftAlert(worked_plan()), 60)
    assert "BTC" in html and "/rebalance" in html and "every 60 min" in html
    assert_valid_telegram_html(html)


def test_history_and_stats_render_valid_html() -> None:
    runs = [run_summary(i) for i in range(1, 4)]
    assert_valid_telegram_html(render_info.history(runs, "EUR"))
    assert "No rebalance yet" in render_info.history([], "EUR")


def test_help_lists_every_command_given() -> None:
    html = render_info.help_text("paper", [("check", "a <check>")])
    assert "/check a &lt;check&gt;" in html


def test_exchange_errors_become_words_that_say_what_to_do() -> None:
    assert "check KRAKEN_API_KEY" in describe(AuthenticationError("EAPI:Invalid key"))
    assert "try again in a minute" in describe(RateLimited("EAPI:Rate limit exceeded"))
    assert describe(InputError("BTC=abc is not a number")) == "BTC=abc is not a number"
    assert "never sent again" in describe(OrderOutcomeUnknown("timeout"))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_weights_chart_is_a_phone_sized_png() -> None:
    assert png_size(charts.weights_png(worked_plan())) == (800, 600)


def test_drift_chart_draws_one_run_or_many_with_missing_after_values() -> None:
    one = [(NOW, Decimal("32.7"), Decimal("0.3"))]
    many = [
        (NOW + timedelta(days=i), Decimal(6 + i % 3), None if i == 2 else Decimal("0.4"))
        for i in range(40)
    ]
    assert png_size(charts.drift_png(one)) == (800, 600)
    assert png_size(charts.drift_png(many, Decimal(5))) == (800, 600)


# --- the pool, bands and REBALANCE_TO -------------------------------------------------------


def locked_btc_plan(spec: str = "band-edge") -> Plan:
    """The worked example with BTC locked, relative bands (25 %) and `spec` to trade by."""
    settings = plan_settings(
        rebalance_to=parse_rebalance_to(spec), drift_band_relative_pct=Decimal(25)
    )
    return make_plan(
        worked_portfolio(), decimals(WORKED_TARGETS), frozenset({"BTC"}), settings, NOW
    )


def test_check_shows_each_assets_band_and_the_locked_holding_apart_with_its_account_share() -> None:
    html = render.check(locked_btc_plan(), "paper")

    assert_valid_telegram_html(html)
    assert widest_pre_line(html) <= 36
    assert "ADA    6.7%  16.7% -10.0 ±4.2" in html  # 25 % of its 16.7 % target
    assert "ETH   66.7%  50.0% +16.7 ±5.0" in html
    assert "🔒 BTC: locked · 72.7% of the account" in html
    assert "Total value: 27,500.00 EUR (rebalanced pool: 7,500.00 EUR)" in html
    assert "ETH is +16.7 pp off target (band ±5.0 pp)" in html


def test_the_preview_states_the_strategy_the_fraction_and_the_drift_it_leaves() -> None:
    html = render.preview(locked_btc_plan(), "paper")

    assert "Strategy: band-edge (REBALANCE_TO); the orders go 70.0% of the way to target." in html
    assert "Largest drift: 16.7 pp → 5.1 pp after the plan." in html


def test_a_preview_with_nothing_due_says_the_orders_go_to_target() -> None:
    near = {"BTC": "0.275", "ETH": "3.3", "SOL": "55", "ADA": "5400", "EUR": "50"}
    book = portfolio({**WORKED_AMOUNTS, **near}, WORKED_PRICES)  # ADA 50 EUR short of target
    settings = plan_settings(rebalance_to=parse_rebalance_to("halfway"))
    plan = make_plan(book, decimals(WORKED_TARGETS), frozenset(), settings, NOW)

    assert not plan.rebalance_due and plan.orders
    assert "these orders go all the way to target" in render.preview(plan, "paper")
    assert "these orders go all the way to target" in cli_render.preview(plan, "paper")


def test_the_cli_check_lists_bands_and_holdings_outside_the_pool_with_their_account_share() -> None:
    text = cli_render.check(locked_btc_plan(), "paper")

    assert "ADA      1000       0.5    500.00    6.7%   16.7%  -10.0 pp  ±4.2 pp" in text
    assert "Not rebalanced (share of the whole account):" in text
    assert "BTC       0.5  40,000.00  20,000.00    72.7%  locked" in text
    assert "Rebalance due: yes. ETH is +16.7 pp off its target (band ±5.0 pp)." in text


def test_the_cli_preview_states_the_strategy_and_the_fraction() -> None:
    text = cli_render.preview(locked_btc_plan("50%"), "paper")

    assert "Strategy: 50% (REBALANCE_TO); the orders go 50.0% of the way to target." in text
    assert "Drift now: 16.7 pp at most; after the plan: 8.4 pp at most." in text


def test_the_alert_lists_the_assets_beyond_their_own_band() -> None:
    html = render_info.alert(DriftAlert(locked_btc_plan()), 60)

    assert "ADA    6.7%  16.7% -10.0 ±4.2" in html
    assert "SOL" in html  # -6.7 pp against a 5 pp band
    assert "EUR" not in html


def test_the_weights_chart_shows_the_pool_only() -> None:
    assert png_size(charts.weights_png(locked_btc_plan())) == (800, 600)
