"""The positions report as a plain dict (JSON-ready): what `rebalance-bot positions --json`
prints, and what an HTTP endpoint can return as it is. Pure.

Money and amounts are exact decimal strings (no float, no exponent, no thousands
separator); percentages are strings with two decimals; times are ISO 8601 UTC (`...Z`);
an unknown figure is null. `csv_text` turns the exports' rows (`Api.export_fills`,
`Api.export_lots`) into the CSV a file or a response carries.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from core.app.position_results import BasisResult, CsvRows, PositionsReport
from core.domain.exports import decimal_text, iso_utc
from core.domain.lots import Adjustment, Shortfall
from core.domain.pnl import Position, Totals
from core.domain.series import Extremes, Point, SeriesSummary

Body = dict[str, Any]
_CENT = Decimal("0.01")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _pct(value: Decimal | None) -> str | None:
    """Two decimals: '32.80', '-0.34', '0.00'."""
    if value is None:
        return None
    cents = value.quantize(_CENT, ROUND_HALF_EVEN)
    return format(cents if cents else abs(cents), "f")


def position_body(p: Position, locked: bool) -> Body:
    return {
        "asset": p.asset,
        "amount": decimal_text(p.amount),
        "cost": decimal_text(p.cost),
        "average_price": _money(p.average_price),
        "first_entry": None if p.first_entry is None else iso_utc(p.first_entry),
        "price": _money(p.price),
        "value": _money(p.value),
        "unrealized": _money(p.unrealized),
        "unrealized_pct": _pct(p.unrealized_pct),
        "realized": decimal_text(p.realized),
        "estimated": p.estimated,
        "realized_estimated": p.realized_estimated,
        "locked": locked,
    }


def totals_body(t: Totals) -> Body:
    return {
        "cost": decimal_text(t.cost),
        "value": decimal_text(t.value),
        "unrealized": decimal_text(t.unrealized),
        "unrealized_pct": _pct(t.unrealized_pct),
        "realized": decimal_text(t.realized),
        "estimated": t.estimated,
        "unpriced": list(t.unpriced),
    }


def _point(p: Point) -> Body:
    return {"time": iso_utc(p.time), "value": decimal_text(p.value)}


def _extremes(e: Extremes) -> Body:
    return {
        "first": _point(e.first),
        "last": _point(e.last),
        "min": _point(e.low),
        "max": _point(e.high),
    }


def series_body(summary: SeriesSummary | None, samples: int) -> Body | None:
    if summary is None:
        return None
    return {
        "samples": samples,
        "total": _extremes(summary.total),
        "assets": {asset: _extremes(e) for asset, e in summary.assets.items()},
    }


def adjustment_body(a: Adjustment) -> Body:
    return {
        "asset": a.asset,
        "kind": a.kind.value,
        "amount": decimal_text(a.amount),
        "price": decimal_text(a.price),
        "time": iso_utc(a.time),
        "estimated": a.estimated,
    }


def shortfall_body(s: Shortfall) -> Body:
    return {
        "asset": s.asset,
        "amount": decimal_text(s.amount),
        "proceeds": decimal_text(s.proceeds),
        "time": iso_utc(s.time),
        "order_id": s.order_id,
    }


def positions_body(report: PositionsReport) -> Body:
    """The whole report: positions by asset, totals, cash, value over time, what is flagged."""
    return {
        "mode": report.mode,
        "quote": report.quote,
        "as_of": iso_utc(report.as_of),
        "market_data": report.source.name,
        "synced": report.synced,
        "positions": [position_body(p, report.is_locked(p.asset)) for p in report.positions],
        "totals": totals_body(report.totals),
        "cash": decimal_text(report.cash),
        "series": series_body(report.series, len(report.samples)),
        "adjustments": [adjustment_body(a) for a in report.adjustments],
        "uncovered": [shortfall_body(s) for s in report.shortfalls],
        "uncounted_fees": report.uncounted_fees,
        "other_quote_fills": report.other_quote,
    }


def basis_body(result: BasisResult) -> Body:
    return {
        "mode": result.mode,
        "asset": result.asset,
        "price": decimal_text(result.price),
        "amount": decimal_text(result.amount),
        "lots": result.lots,
    }


def csv_text(rows: CsvRows) -> str:
    """The exports' rows as CSV text: one line each, `\n` line ends, quoted only when needed."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
