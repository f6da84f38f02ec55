"""The order book the fake shows and trades against: background liquidity plus the account's
own resting orders.

The *background* is everyone else: ``levels`` price levels on each side of the pair's quote
(:mod:`.tickers`), ``gap_bps`` apart (at least one tick), each holding ``level_value`` quote
units' worth at the mid (the same base volume on every level). ``level_value=None`` (the
default) makes the touch bottomless, so a market order fills in full at the ask or the bid,
as the fake always did. The last level is always bottomless: the book beyond the shown levels
is deep. Taker orders sweep a fresh copy of the background (it replenishes at once) and never
trade with the account's own orders.

The account's own open limit orders are part of the book others see: ``Depth`` lists them
merged into the levels, and the touch (``Ticker``'s ``b``/``a``, Depth's first level) is the
better of the background's and the best own order's price, so Depth and Ticker always agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from .markets import Pair
from .orders import ZERO, Order
from .tickers import Quote
from .util import fmt, quantum, round_down

DEFAULT_LEVELS = 10
DEFAULT_GAP_BPS = Decimal(5)
DEEP_VALUE = Decimal(1_000_000)  # quote units shown for a bottomless level
MAX_DEPTH_COUNT = 500
BPS = Decimal(10_000)

Level = tuple[Decimal, Decimal | None]  # (price, volume in base units; None = bottomless)


@dataclass
class Liquidity:
    """The shape of the background book on every pair."""

    level_value: Decimal | None = None  # quote units per level; None: bottomless touch
    levels: int = DEFAULT_LEVELS
    gap_bps: Decimal = DEFAULT_GAP_BPS


@dataclass(frozen=True)
class Touch:
    bid: Decimal
    ask: Decimal


def background(pair: Pair, quote: Quote, side: str, liquidity: Liquidity) -> list[Level]:
    """The background's ``asks`` or ``bids``, best first."""
    best = quote.ask if side == "asks" else quote.bid
    gap = _gap(pair, best, liquidity.gap_bps)
    sign = 1 if side == "asks" else -1
    volume = _volume(pair, (quote.bid + quote.ask) / 2, liquidity.level_value)
    levels: list[Level] = []
    for i in range(max(1, liquidity.levels)):
        price = best + sign * gap * i
        if price <= 0:
            break
        levels.append((price, volume))
    last_price, _ = levels[-1]
    levels[-1] = (last_price, None)
    return levels


def _gap(pair: Pair, price: Decimal, gap_bps: Decimal) -> Decimal:
    tick = pair.tick_size
    ticks = (price * gap_bps / BPS / tick).to_integral_value(rounding=ROUND_UP)
    return max(tick, ticks * tick)


def _volume(pair: Pair, mid: Decimal, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return max(quantum(pair.lot_decimals), round_down(value / mid, pair.lot_decimals))


def sweep(
    levels: list[Level], volume: Decimal, limit: Decimal | None, side: str
) -> list[tuple[Decimal, Decimal]]:
    """The (price, volume) fills of a taker ``side`` order for ``volume`` up to ``limit``."""
    fills: list[tuple[Decimal, Decimal]] = []
    left = volume
    for price, available in levels:
        if left <= 0 or (limit is not None and _beyond(price, limit, side)):
            break
        take = left if available is None else min(left, available)
        fills.append((price, take))
        left -= take
    return fills


def _beyond(price: Decimal, limit: Decimal, side: str) -> bool:
    return price > limit if side == "buy" else price < limit


def crosses(side: str, price: Decimal, touch: Touch) -> bool:
    """Would a ``side`` limit at ``price`` take liquidity from ``touch``?"""
    return price >= touch.ask if side == "buy" else price <= touch.bid


def touch_of(quote: Quote, own_open: Iterable[Order]) -> Touch:
    """Best bid and ask, the account's own resting orders included."""
    bid, ask = quote.bid, quote.ask
    for order in own_open:
        if order.price is None:
            continue
        if order.side == "buy":
            bid = max(bid, order.price)
        else:
            ask = min(ask, order.price)
    return Touch(bid, ask)


def depth_entry(
    pair: Pair,
    quote: Quote,
    own_open: Iterable[Order],
    liquidity: Liquidity,
    *,
    count: int,
    stamp: int,
) -> dict[str, list[list[object]]]:
    """A ``Depth`` result entry: ``{"asks": [[price, volume, time], ...], "bids": [...]}``."""
    own = list(own_open)
    entry: dict[str, list[list[object]]] = {}
    for side, own_side in (("asks", "sell"), ("bids", "buy")):
        merged: dict[Decimal, Decimal] = {}
        deep = _volume(pair, (quote.bid + quote.ask) / 2, DEEP_VALUE) or ZERO
        for price, volume in background(pair, quote, side, liquidity):
            merged[price] = merged.get(price, ZERO) + (deep if volume is None else volume)
        for order in own:
            if order.side == own_side and order.price is not None:
                merged[order.price] = merged.get(order.price, ZERO) + order.remaining
        prices = sorted(merged, reverse=side == "bids")[:count]
        entry[side] = [
            [fmt(p, pair.pair_decimals), fmt(merged[p], pair.lot_decimals), stamp] for p in prices
        ]
    return entry
