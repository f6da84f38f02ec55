"""Valuation: what each holding is worth, what it should be worth, and how far off it is.

Pure functions over the domain dataclasses. The pool is what a rebalance trades: the managed
assets (in the targets, not locked, tradable) and the quote's tradable cash. Weights, targets
and drifts are shares of the pool; locked, blocked and unmanaged holdings stay outside it and
count only toward the whole account's value.
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
    """The account's value, the pool's, and each pool member's target within the pool.

    `target_pct` is the owner's target renormalized over the pool's members (the quote's
    own target included); `at_target` is the value the member has at target, computed
    straight from the pool (pool × target / sum of targets) so that round cases stay exact
    when orders are truncated to the lot size.
    """

    total: Decimal
    pool: Decimal
    target_pct: Mapping[str, Decimal]
    at_target: Mapping[str, Decimal]

    def weight(self, holding: Holding) -> Decimal:
        """A pool member's share of the pool, in percent."""
        return weight(holding.value, self.pool)

    def drift(self, holding: Holding) -> Decimal:
        """A pool member's weight minus its target, in percentage points (0 in an empty pool)."""
        if self.pool <= 0:
            return ZERO
        return self.weight(holding) - self.target_pct[holding.asset]


def value(holdings: tuple[Holding, ...]) -> Valuation:
    """Total and pool value, and the targets renormalized over the pool.

    When no pool member has a positive target (every target locked or blocked), the quote
    takes the whole pool: what is managed is sold to cash, nothing is bought.
    """
    total = sum((h.value for h in holdings), ZERO)
    members = [h for h in holdings if h.in_pool]
    pool = sum((h.value for h in members), ZERO)
    raw = {h.asset: h.target or ZERO for h in members}
    target_sum = sum(raw.values(), ZERO)
    if target_sum <= 0:
        raw = {h.asset: HUNDRED if h.status is LineStatus.QUOTE else ZERO for h in members}
        target_sum = HUNDRED
    target_pct = {a: t / target_sum * HUNDRED for a, t in raw.items()}
    at_target = {a: pool * t / target_sum for a, t in raw.items()}
    return Valuation(total, pool, target_pct, at_target)


def weight(amount_value: Decimal, total: Decimal) -> Decimal:
    return ZERO if total <= 0 else amount_value / total * HUNDRED
