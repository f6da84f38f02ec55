"""Order sizing: from value differences to exchange-valid orders, or skips with reasons.

Amounts are truncated (never rounded up) to the market's precision and the minimums are
checked after rounding. Buys are scaled so that cost plus fees fit the quote cash available.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from core.domain.models import ZERO, Market, PlannedOrder, Quote, Side, SkippedOrder


@dataclass(frozen=True)
class Wish:
    """A trade the targets ask for, before rounding and minimums."""

    asset: str
    side: Side
    amount: Decimal  # base units, unrounded
    market: Market
    quote: Quote

    @property
    def price(self) -> Decimal:
        return self.quote.ask if self.side is Side.BUY else self.quote.bid

    @property
    def value(self) -> Decimal:
        return self.amount * self.quote.mid


def truncate(amount: Decimal, decimals: int) -> Decimal:
    """Cut `amount` down to `decimals` places; never rounds up."""
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


def fmt(amount: Decimal) -> str:
    """A plain, trailing-zero-free rendering for messages."""
    text = f"{amount.normalize():f}"
    return text


def size(
    wish: Wish, min_trade_value: Decimal, scale: Decimal = Decimal(1)
) -> PlannedOrder | SkippedOrder:
    """The exchange-valid order for `wish` (scaled), or why there is none."""
    market = wish.market
    amount = truncate(wish.amount * scale, market.amount_decimals)
    cost = amount * wish.price
    reason = _too_small(amount, cost, market, min_trade_value)
    if reason:
        return SkippedOrder(wish.asset, wish.side, amount, cost, reason)
    fee = cost * market.taker_fee
    return PlannedOrder(wish.asset, market.symbol, wish.side, amount, wish.price, cost, fee)


def _too_small(amount: Decimal, cost: Decimal, market: Market, min_trade_value: Decimal) -> str:
    if amount <= 0:
        return f"rounds to zero at {market.symbol}'s precision ({market.amount_decimals} decimals)"
    if amount < market.order_min:
        return (
            f"below Kraken's minimum order for {market.symbol}: "
            f"{fmt(amount)} < {fmt(market.order_min)} {market.base}"
        )
    if cost < market.cost_min:
        return (
            f"below Kraken's minimum cost for {market.symbol}: "
            f"{cost:.2f} < {fmt(market.cost_min)} {market.quote}"
        )
    if cost < min_trade_value:
        return f"below MIN_TRADE_VALUE: {cost:.2f} < {fmt(min_trade_value)} {market.quote}"
    return ""


def size_buys(
    wishes: Sequence[Wish], budget: Decimal, min_trade_value: Decimal
) -> tuple[list[PlannedOrder], list[SkippedOrder]]:
    """Size buys so that their cost plus fees never exceeds `budget`.

    Buys too small even unscaled are skipped first; buys that fall below a minimum once
    scaled down are skipped too, and the rest re-scaled over the freed cash.
    """
    skipped = [s for w in wishes if isinstance(s := size(w, min_trade_value), SkippedOrder)]
    candidates = [w for w in wishes if isinstance(size(w, min_trade_value), PlannedOrder)]
    while candidates:
        scale = _scale(candidates, budget)
        sized = [size(w, min_trade_value, scale) for w in candidates]
        dropped = [s for s in sized if isinstance(s, SkippedOrder)]
        if not dropped:
            return [o for o in sized if isinstance(o, PlannedOrder)], skipped
        skipped += [_funds_note(s, scale) for s in dropped]
        candidates = [
            w for w, s in zip(candidates, sized, strict=True) if isinstance(s, PlannedOrder)
        ]
    return [], skipped


def _scale(wishes: Sequence[Wish], budget: Decimal) -> Decimal:
    needed = sum((w.amount * w.price * (1 + w.market.taker_fee) for w in wishes), ZERO)
    if needed <= budget:
        return Decimal(1)
    return max(budget, ZERO) / needed


def _funds_note(skip: SkippedOrder, scale: Decimal) -> SkippedOrder:
    if scale >= 1:
        return skip
    note = f"{skip.reason} (scaled to {scale * 100:.1f}% to fit the cash available)"
    return SkippedOrder(skip.asset, skip.side, skip.amount, skip.value, note)
