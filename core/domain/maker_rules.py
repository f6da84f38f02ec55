"""Maker-first rules (ORDER_TYPE=maker-first): pure decisions over one planned order.

A planned order is first worked as a post-only limit at the touch (the best bid for a buy,
the best ask for a sell, on the pair's tick grid). While it rests it follows the touch when
the touch moves away from it, no more often than every `AMEND_INTERVAL_S` per order. At the
timeout what remains goes as an immediate-or-cancel limit at the touch ± MAX_SLIPPAGE_PCT,
never beyond the plan's price ± the same percentage; what that does not fill is reported,
not chased. No I/O, no clock: times are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.domain.models import HUNDRED, ZERO, Market, Quote, Side
from core.domain.orders import limit_price_on_grid
from core.domain.sizing import truncate

AMEND_INTERVAL_S = 15  # Kraken's amend penalty has fallen off by then
BPS = Decimal(10_000)


class OrderFlow(StrEnum):
    """ORDER_TYPE: how the orders of a rebalance are sent."""

    MARKET = "market"
    MAKER_FIRST = "maker-first"


def maker_price(market: Market, side: Side, touch: Quote) -> Decimal:
    """Where a post-only order rests: at the best bid (buy) or best ask (sell), on the grid."""
    price = touch.bid if side is Side.BUY else touch.ask
    return limit_price_on_grid(market, side, price)


def resting_price(
    market: Market, side: Side, touch: Quote, plan_price: Decimal, max_slippage_pct: Decimal
) -> Decimal:
    """The touch (`maker_price`), but never beyond the plan's price ± MAX_SLIPPAGE_PCT: an
    order following a market that runs away stops at that bound and waits there."""
    room = max_slippage_pct / HUNDRED
    price = maker_price(market, side, touch)
    if side is Side.BUY:
        return min(price, limit_price_on_grid(market, side, plan_price * (1 + room)))
    return max(price, limit_price_on_grid(market, side, plan_price * (1 - room)))


def improves(side: Side, target: Decimal, limit: Decimal) -> bool:
    """Whether moving a resting order from `limit` to `target` brings it back to the touch
    (up for a buy, down for a sell)."""
    return target > limit if side is Side.BUY else target < limit


def may_amend(last_moved_at: datetime, now: datetime) -> bool:
    """At most one placement or amend per order every AMEND_INTERVAL_S."""
    return (now - last_moved_at).total_seconds() >= AMEND_INTERVAL_S


def timed_out(started_at: datetime, now: datetime, timeout_s: float) -> bool:
    """Whether MAKER_TIMEOUT_SECONDS have passed since the order was first placed."""
    return (now - started_at).total_seconds() >= timeout_s


def fallback_price(
    market: Market, side: Side, touch: Quote, plan_price: Decimal, max_slippage_pct: Decimal
) -> Decimal:
    """The IOC limit of the fallback: the touch ± MAX_SLIPPAGE_PCT, and never beyond the
    plan's price ± MAX_SLIPPAGE_PCT (a market that ran away is not chased)."""
    room = max_slippage_pct / HUNDRED
    if side is Side.BUY:
        price = min(touch.ask, plan_price) * (1 + room)
    else:
        price = max(touch.bid, plan_price) * (1 - room)
    return limit_price_on_grid(market, side, price)


def within_slippage(
    side: Side, price: Decimal, plan_price: Decimal, max_slippage_pct: Decimal
) -> bool:
    """Whether a price is no worse than the plan's price by more than MAX_SLIPPAGE_PCT."""
    room = max_slippage_pct / HUNDRED
    if side is Side.BUY:
        return price <= plan_price * (1 + room)
    return price >= plan_price * (1 - room)


class Remainder(StrEnum):
    """What is left of a planned order after its fills."""

    NONE = "none"  # all of it filled
    TRADABLE = "tradable"  # enough left for another order
    TOO_SMALL = "too_small"  # left, but below the pair's minimums: reported, not sent


@dataclass(frozen=True)
class Left:
    amount: Decimal  # base units, on the lot grid
    kind: Remainder


def remainder(market: Market, planned: Decimal, filled: Decimal, price: Decimal) -> Left:
    """The part of `planned` not filled yet, on the lot grid, and whether it can be sent."""
    left = truncate(max(planned - filled, ZERO), market.amount_decimals)
    if left <= 0:
        return Left(ZERO, Remainder.NONE)
    if left < market.order_min or left * price < market.cost_min:
        return Left(left, Remainder.TOO_SMALL)
    return Left(left, Remainder.TRADABLE)


def affordable(market: Market, amount: Decimal, price: Decimal, budget: Decimal) -> Decimal:
    """The part of a buy of `amount` at `price` whose cost and taker fee fit `budget` (the
    funds the planned buy was given, less what its fills have spent): the IOC fallback of a
    buy never holds more than the plan set aside for it."""
    if price <= 0 or budget <= 0:
        return ZERO
    most = truncate(budget / (price * (1 + market.taker_fee)), market.amount_decimals)
    return min(amount, most)


def slippage_bps(side: Side, average_price: Decimal, mid: Decimal) -> Decimal:
    """Signed cost of the average price against the plan's mid, in basis points: positive
    when it cost (bought above, sold below the mid), negative when it gained."""
    if mid <= 0:
        return ZERO
    move = (average_price - mid) / mid * BPS
    return move if side is Side.BUY else -move


def taker_fee_equivalent(market: Market, cost: Decimal) -> Decimal:
    """What the traded value would have paid at the taker fee."""
    return cost * market.taker_fee
