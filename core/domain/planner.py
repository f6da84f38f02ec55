"""The planner: from a portfolio, targets and locks to a rebalance plan. Pure; time passed in.

Order of work: classify holdings, value the pool, compare it with the renormalized targets
and the bands, pick how far to go (REBALANCE_TO), wish for trades, drop those too small to
place, cap by MAX_ORDERS, size the sells, fund and size the buys from the cash above what
the plan keeps plus the sells' net proceeds, and estimate the weights the plan leaves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from core.domain.models import (
    ONE,
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
from core.domain.strategy import band, fraction, wanted
from core.domain.valuation import Holding, Valuation, classify, value, weight
from core.errors import PortfolioError


def make_plan(
    portfolio: Portfolio,
    targets: Mapping[str, Decimal],
    locked: frozenset[str],
    settings: PlanSettings,
    now: datetime,
) -> Plan:
    """The plan that brings the pool toward its targets, within cash, precision and minimums.

    When a rebalance is due the orders go as far as REBALANCE_TO says; when none is due
    they go all the way to target, which is what a forced rebalance trades.
    """
    holdings = classify(portfolio, targets, locked)
    valuation = value(holdings)
    if valuation.total <= 0:
        raise PortfolioError(
            f"The portfolio is worth 0 {settings.quote_currency}: there is nothing to rebalance."
        )
    bands = _bands(valuation, settings)
    members = [h for h in holdings if h.in_pool]
    f = fraction(settings.rebalance_to, ((valuation.drift(h), bands[h.asset]) for h in members))
    goal = wanted({h.asset: h.value for h in members}, valuation.at_target, f or ONE)
    wishes = _wishes(holdings, goal, portfolio)
    cash = next(h for h in holdings if h.status is LineStatus.QUOTE)
    orders, skipped = _orders(wishes, cash.amount - goal[cash.asset], settings)
    lines = _lines(holdings, valuation, bands, orders)
    drifts = [abs(x.drift_pct) for x in lines if x.drift_pct is not None]
    after = [abs(d) for x in lines if (d := x.after_drift_pct) is not None]
    return Plan(
        quote_currency=settings.quote_currency,
        created_at=now,
        source=portfolio.market.source,
        total_value=valuation.total,
        pool_value=valuation.pool,
        lines=lines,
        orders=tuple(orders),
        skipped=tuple(skipped),
        rebalance_due=f is not None,
        max_drift_pct=max(drifts, default=ZERO),
        residual_drift_pct=max(after, default=ZERO),
        drift_band_pct=settings.drift_band_pct,
        rebalance_to=settings.rebalance_to.label,
        fraction=f or ONE,
        untradable=tuple(sorted(portfolio.balances.untradable.items())),
    )


def _bands(valuation: Valuation, settings: PlanSettings) -> dict[str, Decimal]:
    """Each pool member's band, in percentage points of the pool."""
    relative = settings.drift_band_relative_pct
    return {a: band(t, settings.drift_band_pct, relative) for a, t in valuation.target_pct.items()}


def _wishes(
    holdings: Sequence[Holding], goal: Mapping[str, Decimal], portfolio: Portfolio
) -> list[Wish]:
    """The trades each managed holding needs to reach its wanted value, largest value first."""
    wishes = []
    for h in holdings:
        if h.status is not LineStatus.MANAGED or h.price is None:
            continue
        diff = goal[h.asset] - h.value
        side = Side.BUY if diff > 0 else Side.SELL
        amount = diff / h.price if side is Side.BUY else _sell_amount(h, -diff, h.price)
        market, quote = portfolio.market.markets[h.asset], portfolio.market.quotes[h.asset]
        if amount > 0:
            wishes.append(Wish(h.asset, side, amount, market, quote))
    return sorted(wishes, key=lambda w: w.value, reverse=True)


def _sell_amount(h: Holding, value: Decimal, price: Decimal) -> Decimal:
    """Base units worth `value`; the whole holding when the target wants all of it sold."""
    return h.amount if value >= h.value else min(value / price, h.amount)


def _orders(
    wishes: Sequence[Wish], free_cash: Decimal, settings: PlanSettings
) -> tuple[list[PlannedOrder], list[SkippedOrder]]:
    """At most MAX_ORDERS placeable wishes, largest first, each funded in turn.

    `free_cash` is the cash above what the plan keeps (the quote's wanted value, its reserve
    at target): what buys may spend before any sell.

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
    holdings: Sequence[Holding],
    valuation: Valuation,
    bands: Mapping[str, Decimal],
    orders: Sequence[PlannedOrder],
) -> tuple[AssetLine, ...]:
    after = _values_after(holdings, orders)
    pool_after = sum((after[h.asset] for h in holdings if h.in_pool), ZERO)
    return tuple(
        _pool_line(h, valuation, bands[h.asset], weight(after[h.asset], pool_after))
        if h.in_pool
        else _outside_line(h, valuation)
        for h in holdings
    )


def _pool_line(h: Holding, valuation: Valuation, band: Decimal, after_pct: Decimal) -> AssetLine:
    """A pool member: its weight, target, drift and band as shares of the pool."""
    return replace(
        _outside_line(h, valuation),
        weight_pct=valuation.weight(h),
        target_pct=valuation.target_pct[h.asset],
        drift_pct=valuation.drift(h),
        after_pct=after_pct,
        band_pct=band,
    )


def _outside_line(h: Holding, valuation: Valuation) -> AssetLine:
    """A holding the rebalance leaves alone: its share of the account, never a drift."""
    note = h.note or ("" if h.price is not None else "no price: not valued")
    return AssetLine(
        asset=h.asset,
        status=h.status,
        amount=h.amount,
        price=h.price,
        value=h.value,
        weight_pct=None,
        target_pct=h.target,
        drift_pct=None,
        after_pct=None,
        account_pct=weight(h.value, valuation.total),
        note=note,
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
