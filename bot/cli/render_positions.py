"""Positions, cost basis and the ledger's monthly figures for the terminal. Pure."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from bot import fmt
from bot.cli.render import source_line, table
from core.app.position_results import BasisResult, LedgerFigures, PositionsReport
from core.domain.lots import Adjustment, AdjustmentKind, Shortfall
from core.domain.pnl import Position, Totals
from core.domain.series import Extremes, SeriesSummary

ESTIMATED = "*"
HEADER = ["Asset", "Amount", "Avg entry", "First entry", "Price", "Value", "Unrealized", "%"]
HEADER += ["Realized", "Lock"]
RIGHT = frozenset(range(1, 9)) - {3}


_signed, _signed_pct = fmt.signed_money, fmt.signed_pct


def _day(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d}"


def _row(p: Position, locked: bool) -> list[str]:
    flag = ESTIMATED if p.estimated else ""
    realized = _signed(p.realized) + (ESTIMATED if p.realized_estimated else "")
    return [
        p.asset,
        fmt.amount(p.amount),
        fmt.price(p.average_price) + flag if p.average_price is not None else "—",
        fmt.minute(p.first_entry),
        fmt.price(p.price),
        "n/a" if p.value is None else fmt.money(p.value),
        _signed(p.unrealized),
        _signed_pct(p.unrealized_pct),
        realized,
        "locked" if locked else "",
    ]


def _totals(t: Totals) -> list[str]:
    figures = [fmt.money(t.value), _signed(t.unrealized), _signed_pct(t.unrealized_pct)]
    return ["Total", "", "", "", "", *figures, _signed(t.realized), ""]


def positions(report: PositionsReport) -> str:
    """The table (totals on the last line), then cash, value over time and what is flagged."""
    lines = [f"Positions ({report.mode} mode)", source_line(report.source)]
    if not report.positions:
        lines.append("No positions yet: no holdings and no fills.")
        return "\n".join(lines)
    rows = [HEADER, *(_row(p, report.is_locked(p.asset)) for p in report.positions)]
    rows.append(_totals(report.totals))
    lines += ["", table(rows, right=RIGHT)]
    lines.append(f"Cash: {fmt.money(report.cash)} {report.quote} (amounts in {report.quote})")
    lines += _notes(report)
    return "\n".join(lines)


def _notes(report: PositionsReport) -> list[str]:
    notes: list[str] = []
    if report.totals.estimated:
        notes.append(
            f"{ESTIMATED} estimated: holdings from before the bot, at the price first seen. "
            "State the real cost with `rebalance-bot basis SYMBOL PRICE`."
        )
    if not report.synced:
        notes.append("Not synced with the balance this time: an order or a run was in flight.")
    notes += [_change(a) for a in report.outside_changes]
    notes += [_uncovered(s) for s in report.shortfalls]
    if report.uncounted_fees:
        notes.append(f"{report.uncounted_fees} fill(s) paid fees in another currency: not counted.")
    if report.totals.unpriced:
        notes.append(f"No price now for {', '.join(report.totals.unpriced)}: not in the value.")
    notes.append(series(report.series, len(report.samples), report.quote))
    return ["", *notes]


def _change(a: Adjustment) -> str:
    word = "Deposit" if a.kind is AdjustmentKind.DEPOSIT else "Withdrawal"
    return f"{word} outside the bot: {fmt.amount(a.amount)} {a.asset} on {_day(a.time)}."


def _uncovered(s: Shortfall) -> str:
    return (
        f"Sold {fmt.amount(s.amount)} {s.asset} beyond the known lots on {_day(s.time)}: "
        "no cost known, left out of realized P&L."
    )


def _extremes(e: Extremes) -> str:
    def at(value: Decimal, when: datetime) -> str:
        return f"{fmt.money(value)} ({when:%Y-%m-%d %H:%M})"

    return (
        f"first {at(e.first.value, e.first.time)}, last {at(e.last.value, e.last.time)}, "
        f"min {at(e.low.value, e.low.time)}, max {at(e.high.value, e.high.time)}"
    )


def series(summary: SeriesSummary | None, samples: int, quote: str) -> str:
    """Value over time in one or a few lines: first, last, min and max."""
    if summary is None:
        return "Value over time: no samples yet (the running bot records one an hour)."
    lines = [f"Value over time ({fmt.plural(samples, 'sample')}, {quote}):"]
    lines.append(f"  Total: {_extremes(summary.total)}")
    lines += [f"  {asset}: {_extremes(e)}" for asset, e in summary.assets.items()]
    return "\n".join(lines)


def basis(result: BasisResult) -> str:
    return (
        f"{result.asset}: the opening lot of {fmt.amount(result.amount)} now costs "
        f"{fmt.price(result.price)} per unit ({result.mode} mode; no longer estimated)."
    )


def ledger_figures(figures: LedgerFigures, quote: str) -> str:
    """What /stats adds: per month realized P&L, fees and traded value; the fee share."""
    if not figures.months:
        return "Per month: no fills yet."
    rows = [["Month", "Realized", "Fees", "Traded", "Fills"]]
    rows += [
        [m.label, _signed(m.realized), fmt.money(m.fees), fmt.money(m.traded), str(m.fills)]
        for m in figures.months
    ]
    share = (
        "no value samples yet"
        if figures.fee_share_pct is None or figures.average_value is None
        else f"{fmt.pct(figures.fee_share_pct, 2)} of the average value "
        f"({fmt.money(figures.average_value)} {quote})"
    )
    return (
        f"Per month ({quote}):\n{table(rows, right=frozenset({1, 2, 3, 4}))}\n"
        f"Fees paid: {fmt.money(figures.fees)} {quote}: {share}."
    )
