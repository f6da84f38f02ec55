"""What the positions use cases return to front ends (`core.app.api.Api`): frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from core.domain.lots import Adjustment, AdjustmentKind, Shortfall
from core.domain.models import DataSource
from core.domain.pnl import Month, Position, Totals
from core.domain.series import SeriesSummary, ValueSample

CsvRows = tuple[tuple[str, ...], ...]  # a header row, then data rows: exact strings


@dataclass(frozen=True)
class PositionsReport:
    """Every position of the current mode from real fills, valued at live prices.

    `synced` is False when an order or run was in flight: the ledger was not reconciled
    with the balance this time (figures are from the fills and earlier adjustments).
    """

    mode: str
    quote: str
    as_of: datetime  # when the balances and prices were read
    source: DataSource
    positions: tuple[Position, ...]  # by asset; fully sold assets keep their realized P&L
    locked: frozenset[str]
    totals: Totals
    cash: Decimal  # the quote currency's tradable balance (no lots)
    samples: tuple[ValueSample, ...]  # value over time, oldest first
    series: SeriesSummary | None
    synced: bool
    adjustments: tuple[Adjustment, ...] = ()  # openings, deposits, withdrawals of this mode
    shortfalls: tuple[Shortfall, ...] = ()  # sold beyond the lots: no known cost
    uncounted_fees: int = 0  # fills whose fee is in a third currency: in no figure
    other_quote: int = 0  # this mode's fills in another quote currency: not entered

    def is_locked(self, asset: str) -> bool:
        return asset in self.locked

    @property
    def outside_changes(self) -> tuple[Adjustment, ...]:
        """Deposits and withdrawals the syncs found (never silently absorbed)."""
        return tuple(a for a in self.adjustments if a.kind is not AdjustmentKind.OPENING)


@dataclass(frozen=True)
class BasisResult:
    """The owner stated what an asset's opening lot cost."""

    mode: str
    asset: str
    price: Decimal
    amount: Decimal  # base units in the asset's opening lots
    lots: int  # opening lots changed


@dataclass(frozen=True)
class LedgerFigures:
    """What `/stats` adds from the lot ledger: per month, and fees against value held."""

    months: tuple[Month, ...]
    fees: Decimal  # every fee of the mode's fills, quote units
    average_value: Decimal | None  # time-weighted, from the value samples
    fee_share_pct: Decimal | None  # fees as a percent of the average value
