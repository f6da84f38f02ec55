"""Both front ends show maker-first figures: per order the maker share, the fee against the
taker fee, the slippage and the time; per run and in the statistics the fee saved."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

from bot.cli import render as cli
from bot.telegram import render as telegram
from bot.telegram import render_info
from core.app.api import ExecutionReport, OrderOutcome, Stats
from core.domain.models import Side
from core.domain.statuses import OrderStatus, RunOutcome
from tests.unit.builders import NOW

D = Decimal
MAKER = OrderOutcome(
    "c-1", "BTC", "BTC/EUR", Side.SELL, D("0.1"), D("0.1"), D("40010"), D("4001"), D("10.0025"),
    OrderStatus.FILLED, "", maker_share=D("0.625"), slippage_bps=D("-1.25"),
    taker_fee_equivalent=D("16.004"), seconds=42.0,
)  # fmt: skip
MARKET = OrderOutcome(
    "c-2", "ETH", "ETH/EUR", Side.BUY, D("1"), D("1"), D("2501"), D("2501"), D("10.004"),
    OrderStatus.FILLED,
)  # fmt: skip


def report(*orders: OrderOutcome) -> ExecutionReport:
    return ExecutionReport("plan-1", 1, RunOutcome.FULL, orders, (), D(10), D(1), NOW, NOW, "EUR")


def stats(**maker: Decimal) -> Stats:
    return Stats({"full": 1}, D(4001), D(10), None, None, {}, None, None, (), "EUR", **maker)


def test_the_cli_report_shows_each_maker_first_orders_figures_and_the_fee_saved() -> None:
    text = cli.report(report(MAKER))
    assert (
        "Maker-first:\n  SELL BTC: 62.5% maker, fee 10.00 EUR (taker 16.00), "
        "slippage -1.2 bps, 42 s\n"
        "Maker-first: 62.5% of the filled value as maker; fees 10.00 EUR, 16.00 at the taker "
        "fee (saved 6.00 EUR)."
    ) in text


def test_a_market_order_report_says_nothing_of_maker_first() -> None:
    assert "Maker-first" not in cli.report(report(MARKET))
    assert "maker" not in telegram.report(report(MARKET), "live")


def test_the_telegram_report_shows_the_maker_share_and_the_fee_saved() -> None:
    text = telegram.report(report(MAKER), "live")
    assert "62.5% maker, fee 10.00 EUR (taker 16.00), slippage -1.2 bps, 42 s" in text
    assert "(saved 6.00 EUR)" in text


def test_stats_add_the_fee_saved_against_the_taker_fee_in_both_front_ends() -> None:
    s = stats(maker_share=D("0.91"), fee_saved=D("12.346"))
    line = "Maker-first: 91.0% made as maker; fee saved against the taker fee: 12.35 EUR"
    assert line in cli.stats(s)
    assert line in render_info.stats(s)
    assert "Maker-first" not in cli.stats(stats())


def test_the_slippage_reads_the_same_whatever_rounding_ccxt_left_in_the_decimal_context() -> None:
    with localcontext() as context:
        context.rounding = ROUND_HALF_UP  # what ccxt's decimal_to_precision sets, globally
        assert "slippage -1.2 bps" in cli.report(report(MAKER))
