"""Figures from a lot ledger: positions, totals, and per-month P&L, fees and volume. Pure.

Every figure is a Decimal in the quote currency, computed from the ledger alone (and, for
value and unrealized P&L, from the current prices given). A figure resting on an estimated
lot says so (`estimated`, `realized_estimated`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from core.domain.lots import Fill, Ledger
from core.domain.models import HUNDRED, ZERO
from core.domain.series import ValueSample, average_value


def _pct(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole * HUNDRED if whole > 0 else None


@dataclass(frozen=True)
class Position:
    """One asset's holding from its open lots, and what its closed lots realized."""

    asset: str
    amount: Decimal  # base units in open lots
    cost: Decimal  # what the open lots cost, fees included
    first_entry: datetime | None  # when the oldest open lot was opened
    realized: Decimal  # P&L of every match to date
    estimated: bool  # an open lot's cost is estimated
    realized_estimated: bool  # a match's cost was estimated
    price: Decimal | None = None  # the current price; None when unknown

    @property
    def average_price(self) -> Decimal | None:
        """The average entry price of the open lots (fees included)."""
        return self.cost / self.amount if self.amount > 0 else None

    @property
    def value(self) -> Decimal | None:
        return None if self.price is None else self.amount * self.price

    @property
    def unrealized(self) -> Decimal | None:
        value = self.value
        return None if value is None else value - self.cost

    @property
    def unrealized_pct(self) -> Decimal | None:
        """Unrealized P&L as a percent of cost; None without a price or a cost."""
        unrealized = self.unrealized
        return None if unrealized is None else _pct(unrealized, self.cost)


def position(ledger: Ledger, asset: str, price: Decimal | None = None) -> Position:
    lots = [lot for lot in ledger.lots if lot.asset == asset]
    matches = [m for m in ledger.matches if m.asset == asset]
    return Position(
        asset=asset,
        amount=sum((lot.amount for lot in lots), ZERO),
        cost=sum((lot.cost for lot in lots), ZERO),
        first_entry=min((lot.opened_at for lot in lots), default=None),
        realized=sum((m.pnl for m in matches), ZERO),
        estimated=any(lot.estimated for lot in lots),
        realized_estimated=any(m.estimated for m in matches),
        price=price,
    )


def positions(ledger: Ledger, prices: Mapping[str, Decimal]) -> tuple[Position, ...]:
    """Every asset with open lots or realized P&L, by asset, valued at `prices` when known."""
    return tuple(position(ledger, a, prices.get(a)) for a in ledger.assets())


@dataclass(frozen=True)
class Totals:
    """The last line: sums over positions; value and unrealized over the priced ones."""

    cost: Decimal
    value: Decimal
    unrealized: Decimal
    unrealized_pct: Decimal | None  # of the priced positions' cost
    realized: Decimal
    estimated: bool  # any position's figures rest on an estimated lot
    unpriced: tuple[str, ...]  # assets held without a current price: not in value


def totals(held: Iterable[Position]) -> Totals:
    given = tuple(held)
    priced = [p for p in given if p.price is not None]
    priced_cost = sum((p.cost for p in priced), ZERO)
    unrealized = sum((p.unrealized or ZERO for p in priced), ZERO)
    return Totals(
        cost=sum((p.cost for p in given), ZERO),
        value=sum((p.value or ZERO for p in priced), ZERO),
        unrealized=unrealized,
        unrealized_pct=_pct(unrealized, priced_cost),
        realized=sum((p.realized for p in given), ZERO),
        estimated=any(p.estimated or p.realized_estimated for p in given),
        unpriced=tuple(p.asset for p in given if p.price is None and p.amount > 0),
    )


@dataclass(frozen=True)
class Month:
    """One calendar month (UTC): realized P&L of the sells closed in it, fees, traded value."""

    year: int
    month: int
    realized: Decimal
    fees: Decimal  # quote units; base-asset fees at their fill price
    traded: Decimal  # the fills' cost, quote units
    fills: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _month(when: datetime) -> tuple[int, int]:
    utc = when.astimezone(UTC)
    return utc.year, utc.month


def monthly(ledger: Ledger) -> tuple[Month, ...]:
    """Every month with a fill or a realized match, oldest first."""
    realized: defaultdict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for m in ledger.matches:
        realized[_month(m.closed_at)] += m.pnl
    fills: defaultdict[tuple[int, int], list[Fill]] = defaultdict(list)
    for f in ledger.fills:
        fills[_month(f.time)].append(f)
    return tuple(
        Month(
            year=key[0],
            month=key[1],
            realized=realized.get(key, ZERO),
            fees=sum((f.fee_value or ZERO for f in fills.get(key, ())), ZERO),
            traded=sum((f.cost for f in fills.get(key, ())), ZERO),
            fills=len(fills.get(key, ())),
        )
        for key in sorted(realized.keys() | fills.keys())
    )


def fees(ledger: Ledger) -> Decimal:
    """Every fee the ledger's fills paid, in quote units (uncounted third-currency fees aside)."""
    return sum((f.fee_value or ZERO for f in ledger.fills), ZERO)


def fee_share(paid: Decimal, samples: Iterable[ValueSample]) -> Decimal | None:
    """Fees as a percent of the time-weighted average portfolio value; None without value."""
    average = average_value(samples)
    return None if average is None else _pct(paid, average)
