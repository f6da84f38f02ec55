"""CSV shapes of the fills and lots exports: values to rows of strings. Pure; writing is elsewhere.

Numbers are exact decimal strings: no exponent, no thousands separator, no float, no trailing
zeros after the point (`0.00000001`, `1506`, `-2.5`). Times are ISO 8601 in UTC (`...Z`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

from core.domain.lots import Fill, Ledger, Lot, Match, Shortfall, Withdrawn

Row = tuple[str, ...]

FILL_COLUMNS: Row = (
    "time",
    "mode",
    "side",
    "asset",
    "amount",
    "price",
    "cost",
    "fee",
    "fee_currency",
    "quote",
    "order_id",
    "client_order_id",
    "run_id",
    "trigger",
)

LOT_COLUMNS: Row = (
    "mode",
    "status",  # open, closed (a realized match), withdrawn, uncovered (a shortfall)
    "asset",
    "open_time",
    "close_time",
    "amount",
    "cost",
    "proceeds",
    "realized_pnl",
    "estimated",
    "lot_origin",  # the buy's order id, or opening / deposit
    "close_order_id",
)


def decimal_text(value: Decimal) -> str:
    """The exact plain digits of `value`; refuses floats and NaN/Infinity."""
    if not isinstance(value, Decimal):
        raise TypeError(f"expected a Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def iso_utc(when: datetime) -> str:
    """`2026-01-12T12:00:00Z` (microseconds when there are any); refuses naive times."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"time {when.isoformat()} has no time zone")
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _optional(value: object) -> str:
    return "" if value is None else str(value)


def fill_row(f: Fill) -> Row:
    return (
        iso_utc(f.time),
        f.mode,
        f.side.value,
        f.asset,
        decimal_text(f.amount),
        decimal_text(f.price),
        decimal_text(f.cost),
        decimal_text(f.fee),
        f.fee_currency,
        f.quote,
        f.order_id,
        _optional(f.client_order_id),
        _optional(f.run_id),
        f.trigger,
    )


def fill_rows(fills: Iterable[Fill]) -> tuple[Row, ...]:
    """The header, then one row per fill in time order."""
    return (FILL_COLUMNS, *(fill_row(f) for f in sorted(fills, key=lambda f: f.time)))


def fills_since(fills: Iterable[Fill], day: date) -> tuple[Fill, ...]:
    """The fills from `day` 00:00 UTC on (for `--since YYYY-MM-DD`)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return tuple(f for f in fills if f.time >= start)


def _flag(estimated: bool) -> str:
    return "true" if estimated else "false"


def _lot_row(mode: str, x: Lot) -> Row:
    d = decimal_text
    opened = iso_utc(x.opened_at)
    return (
        mode,
        "open",
        x.asset,
        opened,
        "",
        d(x.amount),
        d(x.cost),
        "",
        "",
        _flag(x.estimated),
        x.origin,
        "",
    )


def _match_row(mode: str, m: Match) -> Row:
    d, t = decimal_text, iso_utc
    times = (t(m.opened_at), t(m.closed_at))
    figures = (d(m.amount), d(m.cost), d(m.proceeds), d(m.pnl))
    return (mode, "closed", m.asset, *times, *figures, _flag(m.estimated), m.origin, m.order_id)


def _withdrawn_row(mode: str, w: Withdrawn) -> Row:
    d, t = decimal_text, iso_utc
    times = (t(w.opened_at), t(w.closed_at))
    figures = (d(w.amount), d(w.cost), "", "")
    return (mode, "withdrawn", w.asset, *times, *figures, _flag(w.estimated), w.origin, "")


def _shortfall_row(mode: str, s: Shortfall) -> Row:
    figures = (decimal_text(s.amount), "", decimal_text(s.proceeds), "")
    return (mode, "uncovered", s.asset, "", iso_utc(s.time), *figures, "false", "", s.order_id)


def lot_rows(ledger: Ledger) -> tuple[Row, ...]:
    """The header, the open lots, then every realized match, withdrawal and shortfall."""
    mode = ledger.mode
    return (
        LOT_COLUMNS,
        *(_lot_row(mode, x) for x in ledger.lots),
        *(_match_row(mode, m) for m in ledger.matches),
        *(_withdrawn_row(mode, w) for w in ledger.withdrawn),
        *(_shortfall_row(mode, s) for s in ledger.shortfalls),
    )
