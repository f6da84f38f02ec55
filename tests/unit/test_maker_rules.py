"""Maker-first rules: the resting price, when to follow the touch, the fallback's cap, the
remainder after partial fills, and the figures of the report."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.domain.maker_rules import (
    Remainder,
    affordable,
    fallback_price,
    improves,
    maker_price,
    may_amend,
    remainder,
    resting_price,
    slippage_bps,
    taker_fee_equivalent,
    timed_out,
    within_slippage,
)
from core.domain.models import Quote, Side
from tests.unit.builders import NOW, market

D = Decimal
BTC = market("BTC", maker_fee=D("0.0025"))
TOUCH = Quote("BTC/EUR", D("40000.0"), D("40010.0"))


def test_a_buy_rests_at_the_best_bid_and_a_sell_at_the_best_ask() -> None:
    assert maker_price(BTC, Side.BUY, TOUCH) == D("40000.0")
    assert maker_price(BTC, Side.SELL, TOUCH) == D("40010.0")


def test_the_resting_price_is_on_the_tick_grid_on_the_safe_side() -> None:
    touch = Quote("BTC/EUR", D("40000.07"), D("40010.03"))
    assert maker_price(BTC, Side.BUY, touch) == D("40000.0")
    assert maker_price(BTC, Side.SELL, touch) == D("40010.1")


def test_an_order_is_moved_at_most_every_15_seconds() -> None:
    assert not may_amend(NOW, NOW + timedelta(seconds=14.9))
    assert may_amend(NOW, NOW + timedelta(seconds=15))


def test_the_timeout_counts_from_the_first_placement() -> None:
    assert not timed_out(NOW, NOW + timedelta(seconds=59), 60)
    assert timed_out(NOW, NOW + timedelta(seconds=60), 60)


def test_the_fallback_buy_is_capped_at_the_ask_plus_the_slippage_allowed() -> None:
    price = fallback_price(BTC, Side.BUY, TOUCH, D("40010.0"), D("0.5"))
    assert price == D("40210.0")  # 40010 * 1.005 = 40210.05, down on the grid


def test_the_fallback_sell_is_capped_at_the_bid_less_the_slippage_allowed() -> None:
    price = fallback_price(BTC, Side.SELL, TOUCH, D("40000.0"), D("0.5"))
    assert price == D("39800.0")


def test_the_fallback_never_chases_a_market_that_ran_away_from_the_plan() -> None:
    ran_up = Quote("BTC/EUR", D("41000.0"), D("41010.0"))
    price = fallback_price(BTC, Side.BUY, ran_up, D("40010.0"), D("0.5"))
    assert price == D("40210.0")
    assert not within_slippage(Side.BUY, ran_up.ask, D("40010.0"), D("0.5"))
    assert within_slippage(Side.SELL, D("39900"), D("40000"), D("0.5"))


def test_what_remains_after_a_partial_fill_is_on_the_lot_grid() -> None:
    left = remainder(BTC, D("0.1"), D("0.0333333333"), D("40000"))
    assert (left.amount, left.kind) == (D("0.06666666"), Remainder.TRADABLE)


def test_a_remainder_below_the_pairs_minimum_is_left() -> None:
    left = remainder(BTC, D("0.1"), D("0.09998"), D("40000"))
    assert (left.amount, left.kind) == (D("0.00002"), Remainder.TOO_SMALL)


def test_nothing_remains_of_a_filled_order() -> None:
    assert remainder(BTC, D("0.1"), D("0.1"), D("40000")).kind is Remainder.NONE


def test_a_fallback_buy_never_holds_more_than_its_budget() -> None:
    assert affordable(BTC, D("0.1"), D("40000"), D("10000")) == D("0.1")
    assert affordable(BTC, D("0.1"), D("40000"), D("2008")) == D("0.05")
    assert affordable(BTC, D("0.1"), D("40000"), D(0)) == D(0)


def test_slippage_is_signed_a_cost_when_buying_above_or_selling_below_the_mid() -> None:
    assert slippage_bps(Side.BUY, D("40040"), D("40000")) == D(10)
    assert slippage_bps(Side.SELL, D("39960"), D("40000")) == D(10)
    assert slippage_bps(Side.BUY, D("39980"), D("40000")) == D(-5)


def test_the_taker_equivalent_fee_is_the_traded_value_at_the_taker_fee() -> None:
    assert taker_fee_equivalent(BTC, D(1000)) == D("4.000")


def test_a_resting_order_follows_the_touch_but_never_beyond_the_slippage_bound() -> None:
    ran_up = Quote("BTC/EUR", D("41000.0"), D("41010.0"))
    assert resting_price(BTC, Side.BUY, TOUCH, D("40010.0"), D("0.5")) == D("40000.0")
    assert resting_price(BTC, Side.BUY, ran_up, D("40010.0"), D("0.5")) == D("40210.0")
    ran_down = Quote("BTC/EUR", D("39000.0"), D("39010.0"))
    assert resting_price(BTC, Side.SELL, ran_down, D("40000.0"), D("0.5")) == D("39800.0")


def test_an_amend_brings_a_buy_up_and_a_sell_down_to_the_touch() -> None:
    assert improves(Side.BUY, D(2), D(1)) and not improves(Side.BUY, D(1), D(2))
    assert improves(Side.SELL, D(1), D(2)) and not improves(Side.SELL, D(2), D(1))
