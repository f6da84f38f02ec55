"""Pure rules of execution: price checks, buy re-sizing from real cash, the holdings a run
leaves (from its fills, so the drift after needs no second reading)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.domain.models import (
    ZERO,
    Balances,
    MarketData,
    Plan,
    PlannedOrder,
    Quote,
    Side,
    SkippedOrder,
)
from core.domain.sizing import Wish, size_buys


def moved_prices(
    planned: Mapping[str, Decimal], fresh: Mapping[str, Quote], tolerance_pct: Decimal
) -> list[str]:
    """Assets whose mid price moved more than `tolerance_pct` since the plan (or vanished)."""
    moved = []
    for asset, then in sorted(planned.items()):
        quote = fresh.get(asset)
        if quote is None or quote.bid <= 0 or quote.ask <= 0:
            moved.append(f"{asset}: no price now")
            continue
        change = (quote.mid - then) / then * 100
        if abs(change) > tolerance_pct:
            moved.append(f"{asset} {change:+.2f}%")
    return moved


BUY_HEADROOM_PCT = Decimal("0.25")  # room for the ask to move between price check and buy


def resize_buys(
    buys: Sequence[PlannedOrder],
    budget: Decimal,
    market: MarketData,
    min_trade_value: Decimal,
) -> tuple[list[PlannedOrder], list[SkippedOrder]]:
    """The planned buys, scaled down (never up) to the quote cash really available.

    Costs are estimated at the ask just checked plus `BUY_HEADROOM_PCT`, so a market buy
    still fits the cash with its fee if the price ticks up before it fills.
    """
    factor = 1 + BUY_HEADROOM_PCT / 100
    wishes = []
    for b in buys:
        fresh = market.quotes.get(b.asset)
        ask = (fresh.ask if fresh is not None and fresh.ask > 0 else b.price) * factor
        wishes.append(
            Wish(b.asset, b.side, b.amount, market.markets[b.asset], Quote(b.symbol, ask, ask))
        )
    return size_buys(wishes, budget, min_trade_value)


def cash_reserve(plan: Plan) -> Decimal:
    """The quote cash the plan keeps: the same `fraction` of the way to its target as every
    other pool member goes (all of it, the quote's weight of the pool, when trading to target)."""
    line = plan.line(plan.quote_currency)
    if line is None or line.target_pct is None:
        return ZERO
    at_target = line.target_pct / 100 * plan.pool_value
    if plan.fraction == 1:
        return at_target
    return line.value + plan.fraction * (at_target - line.value)


def total(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO)


@dataclass(frozen=True)
class Fill:
    """What one order traded: base units one way, quote (and its fee) the other."""

    asset: str
    side: Side
    amount: Decimal  # base units filled
    cost: Decimal  # quote units
    fee: Decimal  # quote units


def holdings_before(plan: Plan) -> Balances:
    """The holdings the plan was made from (its lines' amounts, and what was untradable)."""
    return Balances(
        tradable={x.asset: x.amount for x in plan.lines}, untradable=dict(plan.untradable)
    )


def after_fills(balances: Balances, fills: Iterable[Fill], quote: str) -> Balances:
    """The holdings once `fills` have settled: a buy adds its amount and spends its cost and
    fee; a sell gives its amount up and brings its cost less the fee."""
    held = dict(balances.tradable)
    for f in fills:
        sign = 1 if f.side is Side.BUY else -1
        held[f.asset] = held.get(f.asset, ZERO) + sign * f.amount
        held[quote] = held.get(quote, ZERO) - sign * f.cost - f.fee
    return Balances(tradable=held, untradable=balances.untradable)
