"""The planner: from a portfolio, targets and locks to a rebalance plan. Pure; time passed in.

Order of work: classify holdings, value them, compare with renormalized targets, wish for
trades, drop those too small to place, cap by MAX_ORDERS, size the sells, fund and size the
buys from the cash above its own target plus the sells' net proceeds, and estimate the
weights the plan leaves behind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from core.domain.models import (
    ZERO,
    AssetLine,
    LineStatus,
    Plan,
    PlannedOrder,
    PlanSettings,
    Portfolio,
    Side,
    SkippedOrder,
)
from core.domain.sizing import Wish, size, size_buys
from core.domain.valuation import Holding, Valuation, classify, value, weight
from core.errors import PortfolioError


def make_plan(
    portfolio: Portfolio,
    targets: Mapping[str, Decimal],
    locked: frozenset[str],
    settings: PlanSettings,
    now: datetime,
) -> Plan:
    """The plan that brings the pool back to its targets, within cash, precision and minimums."""
    holdings = classify(portfolio, targets, locked)
    valuation = value(holdings)
    if valuation.total <= 0:
        raise PortfolioError(
            f"The portfolio is worth 0 {settings.quote_currency}: there is nothing to rebalance."
        )
    wishes = _wishes(holdings, valuation, portfolio)
    orders, skipped = _orders(wishes, _free_cash(holdings, valuation), settings)
    lines = _lines(holdings, valuation, orders)
    drifts = [abs(x.drift_pct) for x in lines if x.drift_pct is not None]
    after = [abs(d) for x in lines if x.drift_pct is not None and (d := x.after_drift_pct)]
    return Plan(
        quote_currency=settings.quote_currency,
        created_at=now,
        source=portfolio.market.source,
        total_value=valuation.total,
        lines=lines,
        orders=tuple(orders),
        skipped=tuple(skipped),
        rebalance_due=_due(lines, settings.drift_band_pct),
        max_drift_pct=max(drifts, default=ZERO),
        residual_drift_pct=max(after, default=ZERO),
        drift_band_pct=settings.drift_band_pct,
        untradable=tuple(sorted(portfolio.balances.untradable.items())),
    )


def _wishes(holdings: Sequence[Holding], valuation: Valuation, portfolio: Portfolio) -> list[Wish]:
    """The trades each managed holding needs, largest value first."""
    wishes = []
    for h in holdings:
        if h.status is not LineStatus.MANAGED or h.price is None:
            continue
        diff = valuation.wanted[h.asset] - h.value
        side = Side.BUY if diff > 0 else Side.SELL
        amount = diff / h.price if side is Side.BUY else _sell_amount(h, -diff, h.price)
        market, quote = portfolio.market.markets[h.asset], portfolio.market.quotes[h.asset]
        if amount > 0:
            wishes.append(Wish(h.asset, side, amount, market, quote))
    return sorted(wishes, key=lambda w: w.value, reverse=True)


def _sell_amount(h: Holding, value: Decimal, price: Decimal) -> Decimal:
    """Base units worth `value`; the whole holding when the target wants all of it sold."""
    return h.amount if value >= h.value else min(value / price, h.amount)


def _free_cash(holdings: Sequence[Holding], valuation: Valuation) -> Decimal:
    """Cash above the quote's own target (its reserve): what buys may spend before any sell."""
    cash = next(h for h in holdings if h.status is LineStatus.QUOTE)
    return cash.amount - valuation.wanted[cash.asset]


def _orders(
    wishes: Sequence[Wish], free_cash: Decimal, settings: PlanSettings
) -> tuple[list[PlannedOrder], list[SkippedOrder]]:
    """At most MAX_ORDERS placeable wishes, largest first, each funded in turn.

    Wishes too small to place never take a slot, and neither does a buy the cash cannot fund:
    its slot goes to the next wish, so a large buy waiting for a sell's proceeds cannot block
    that sell (and with it the whole plan) run after run.
    """
    mtv = settings.min_trade_value
    queue, skipped = _placeable(wishes, mtv)
    limit = len(queue) if settings.max_orders is None else settings.max_orders
    kept: list[Wish] = []
    orders: list[PlannedOrder] = []
    while queue and len(orders) < limit:
        placed = {o.asset for o in orders}
        kept = [w for w in kept if w.asset in placed] + queue[: limit - len(orders)]
        queue = queue[limit - len(orders) :]
        orders, unfunded = _fund(kept, free_cash, mtv)
        skipped += unfunded
    return orders, skipped + _capped(queue, settings.max_orders)


def _fund(
    wishes: Sequence[Wish], free_cash: Decimal, min_trade_value: Decimal
) -> tuple[list[PlannedOrder], list[SkippedOrder]]:
    """Sells as wished; buys scaled to the free cash plus the sells' proceeds net of fees."""
    sized = [size(w, min_trade_value) for w in wishes if w.side is Side.SELL]
    sells = [o for o in sized if isinstance(o, PlannedOrder)]
    budget = free_cash + sum((o.cost - o.fee for o in sells), ZERO)
    buy_wishes = [w for w in wishes if w.side is Side.BUY]
    buys, skipped = size_buys(buy_wishes, budget, min_trade_value)
    return sells + buys, skipped


def _placeable(
    wishes: Sequence[Wish], min_trade_value: Decimal
) -> tuple[list[Wish], list[SkippedOrder]]:
    """The wishes that make a valid order as wished, and why each of the others does not."""
    sized = [(w, size(w, min_trade_value)) for w in wishes]
    skipped = [s for _, s in sized if isinstance(s, SkippedOrder)]
    return [w for w, s in sized if isinstance(s, PlannedOrder)], skipped


def _capped(wishes: Sequence[Wish], max_orders: int | None) -> list[SkippedOrder]:
    """The wishes left over once MAX_ORDERS orders are planned: lower priority."""
    reason = f"over MAX_ORDERS ({max_orders}): a larger difference came first"
    return [SkippedOrder(w.asset, w.side, w.amount, w.value, reason) for w in wishes]


def _lines(
    holdings: Sequence[Holding], valuation: Valuation, orders: Sequence[PlannedOrder]
) -> tuple[AssetLine, ...]:
    after = _values_after(holdings, orders)
    total_after = sum(after.values(), ZERO)
    return tuple(_line(h, valuation, weight(after[h.asset], total_after)) for h in holdings)


def _line(h: Holding, valuation: Valuation, after_pct: Decimal) -> AssetLine:
    current = weight(h.value, valuation.total)
    target = valuation.effective.get(h.asset)
    drift = None if target is None else current - target
    shown_target = target if target is not None else h.target
    note = h.note or ("" if h.price is not None else "no price: not valued")
    return AssetLine(
        h.asset, h.status, h.amount, h.price, h.value, current, shown_target, drift, after_pct, note
    )


def _values_after(
    holdings: Sequence[Holding], orders: Sequence[PlannedOrder]
) -> dict[str, Decimal]:
    """Each holding's value (at valuation prices) once the orders have filled as estimated."""
    amounts = {h.asset: h.amount for h in holdings}
    prices = {h.asset: h.price or ZERO for h in holdings}
    quote = next(h.asset for h in holdings if h.status is LineStatus.QUOTE)
    for o in orders:
        sign = 1 if o.side is Side.BUY else -1
        amounts[o.asset] += sign * o.amount
        amounts[quote] -= sign * o.cost + o.fee
    return {a: amounts[a] * prices[a] for a in amounts}


def _due(lines: Sequence[AssetLine], band: Decimal) -> bool:
    """Due when any pool member (managed asset or cash) sits outside the drift band."""
    return any(x.drift_pct is not None and abs(x.drift_pct) > band for x in lines)
