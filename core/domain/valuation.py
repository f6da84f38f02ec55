"""Valuation: what each holding is worth, what it should be worth, and how far off it is.

Pure functions over the domain dataclasses. Weights are percentages of the whole portfolio.
Locked, blocked and unmanaged holdings leave the pool that is rebalanced; the targets of the
rest are renormalized over that pool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from core.domain.models import HUNDRED, ZERO, LineStatus, Portfolio, Quote


@dataclass(frozen=True)
class Holding:
    """One asset before planning: its class, amount, valuation price and target."""

    asset: str
    status: LineStatus
    amount: Decimal
    price: Decimal | None
    target: Decimal | None  # the owner's raw target, percent
    note: str = ""

    @property
    def value(self) -> Decimal:
        return ZERO if self.price is None else self.amount * self.price

    @property
    def in_pool(self) -> bool:
        return self.status in (LineStatus.MANAGED, LineStatus.QUOTE)


def classify(
    portfolio: Portfolio, targets: Mapping[str, Decimal], locked: frozenset[str]
) -> tuple[Holding, ...]:
    """Every asset held or targeted, plus the quote currency, with its status."""
    quote = portfolio.market.quote_currency
    held = {a for a, amount in portfolio.balances.tradable.items() if amount > 0}
    assets = sorted(held | set(targets) | {quote}, key=lambda a: (a != quote, a))
    return tuple(_holding(a, portfolio, targets, locked) for a in assets)


def _holding(
    asset: str, portfolio: Portfolio, targets: Mapping[str, Decimal], locked: frozenset[str]
) -> Holding:
    market = portfolio.market
    amount = portfolio.balances.tradable.get(asset, ZERO)
    target = targets.get(asset)
    if asset == market.quote_currency:
        return Holding(asset, LineStatus.QUOTE, amount, Decimal(1), target or ZERO)
    price = _valuation_price(market.quotes.get(asset))
    if asset in locked:
        return Holding(asset, LineStatus.LOCKED, amount, price, target, "locked")
    if target is None:
        return Holding(asset, LineStatus.UNMANAGED, amount, price, None, "not in targets")
    reason = market.blocked.get(asset) or _missing_reason(asset, portfolio, price)
    if reason:
        return Holding(asset, LineStatus.BLOCKED, amount, price, target, reason)
    return Holding(asset, LineStatus.MANAGED, amount, price, target)


def _valuation_price(quote: Quote | None) -> Decimal | None:
    if quote is None or quote.bid <= 0 or quote.ask <= 0:
        return None
    return quote.mid


def _missing_reason(asset: str, portfolio: Portfolio, price: Decimal | None) -> str:
    quote = portfolio.market.quote_currency
    market = portfolio.market.markets.get(asset)
    if market is None:
        return f"no {asset}/{quote} market"
    if not market.online:
        return f"{market.symbol} is {market.status}, not online"
    if price is None:
        return f"no usable price for {market.symbol}"
    return ""


@dataclass(frozen=True)
class Valuation:
    """The whole portfolio's value and each pool member's effective target.

    `effective` is the target as a percent of the whole portfolio; `wanted` is the value the
    member should have, computed straight from the pool (pool × target / sum of targets) so
    that round cases stay exact when orders are truncated to the lot size.
    """

    total: Decimal
    pool: Decimal
    effective: Mapping[str, Decimal]
    wanted: Mapping[str, Decimal]


def value(holdings: tuple[Holding, ...]) -> Valuation:
    """Total value and renormalized targets (as shares of the whole portfolio)."""
    total = sum((h.value for h in holdings), ZERO)
    pool_members = [h for h in holdings if h.in_pool]
    pool = sum((h.value for h in pool_members), ZERO)
    target_sum = sum((h.target or ZERO for h in pool_members), ZERO)
    if total <= 0 or target_sum <= 0:
        zeros = {h.asset: ZERO for h in pool_members}
        return Valuation(total, pool, zeros, zeros)
    scale = pool / total / target_sum * HUNDRED
    effective = {h.asset: (h.target or ZERO) * scale for h in pool_members}
    wanted = {h.asset: pool * (h.target or ZERO) / target_sum for h in pool_members}
    return Valuation(total, pool, effective, wanted)


def weight(amount_value: Decimal, total: Decimal) -> Decimal:
    return ZERO if total <= 0 else amount_value / total * HUNDRED
