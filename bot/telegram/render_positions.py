"""Telegram HTML for /positions, /basis and what /stats adds from the lot ledger. Pure.

A phone is about 34 characters wide, so each position is a short block of lines rather than
one wide table row; the totals come last.
"""

from __future__ import annotations

from datetime import datetime

from bot import fmt
from bot.telegram.markup import esc, table
from bot.telegram.render import source_line
from core.app.position_results import BasisResult, LedgerFigures, PositionsReport
from core.domain.lots import AdjustmentKind
from core.domain.pnl import Position, Totals

ESTIMATED = "*"


def _day(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment:%Y-%m-%d}"


def _entry(p: Position) -> str:
    if p.average_price is None:
        return "no open lot"
    flag = ESTIMATED if p.estimated else ""
    return f"entry {fmt.price(p.average_price)}{flag} since {fmt.minute(p.first_entry)}"


def position_block(p: Position, locked: bool) -> str:
    lock = " 🔒 locked" if locked else ""
    value = "n/a" if p.value is None else fmt.money(p.value)
    unrealized = f"{fmt.signed_money(p.unrealized)} ({fmt.signed_pct(p.unrealized_pct)})"
    realized = fmt.signed_money(p.realized) + (ESTIMATED if p.realized_estimated else "")
    return "\n".join(
        [
            f"<b>{esc(p.asset)}</b>{lock} {esc(fmt.amount(p.amount))}",
            esc(f"{_entry(p)}"),
            esc(f"now {fmt.price(p.price)} · value {value}"),
            esc(f"unrealized {unrealized} · realized {realized}"),
        ]
    )


def totals_block(t: Totals, quote: str) -> str:
    unrealized = f"{fmt.signed_money(t.unrealized)} ({fmt.signed_pct(t.unrealized_pct)})"
    return "\n".join(
        [
            f"<b>Total</b> {esc(fmt.money(t.value))} {esc(quote)}",
            esc(f"unrealized {unrealized} · realized {fmt.signed_money(t.realized)}"),
        ]
    )


def _notes(report: PositionsReport) -> list[str]:
    notes = []
    if report.totals.estimated:
        notes.append(
            f"{ESTIMATED} estimated: held before the bot, at the price first seen. "
            "Say what it cost with /basis BTC 30000."
        )
    if not report.synced:
        notes.append("Not synced with the balance this time: an order or a run was in flight.")
    for a in report.outside_changes:
        word = "Deposit" if a.kind is AdjustmentKind.DEPOSIT else "Withdrawal"
        notes.append(f"{word} outside the bot: {fmt.amount(a.amount)} {a.asset} on {_day(a.time)}.")
    for s in report.shortfalls:
        notes.append(f"Sold {fmt.amount(s.amount)} {s.asset} with no known cost on {_day(s.time)}.")
    if report.totals.unpriced:
        notes.append(f"No price now for {', '.join(report.totals.unpriced)}.")
    return [f"<i>{esc(n)}</i>" for n in notes]


def positions(report: PositionsReport) -> str:
    """Each position, the totals last, cash, then what is flagged."""
    title = f"<b>Positions</b> · {esc(report.mode)} mode\n{source_line(report.source)}"
    if not report.positions:
        return f"{title}\nNo positions yet: no holdings and no fills."
    blocks = [position_block(p, report.is_locked(p.asset)) for p in report.positions]
    cash = esc(f"Cash: {fmt.money(report.cash)} {report.quote}")
    parts = [title, *blocks, totals_block(report.totals, report.quote), cash, *_notes(report)]
    return "\n\n".join(parts)


def basis(result: BasisResult) -> str:
    return esc(
        f"{result.asset}: the opening lot of {fmt.amount(result.amount)} now costs "
        f"{fmt.price(result.price)} each ({result.mode} mode; no longer estimated)."
    )


def ledger_figures(figures: LedgerFigures, quote: str) -> str:
    """Per month: realized P&L, fees, traded value; and the fees' share of the value held."""
    if not figures.months:
        return "Per month: no fills yet."
    rows = [["Month", "Realized", "Fees", "Traded"]]
    rows += [
        [m.label, fmt.signed_money(m.realized), fmt.money(m.fees), fmt.money(m.traded, 0)]
        for m in figures.months
    ]
    share = "no value samples yet"
    if figures.fee_share_pct is not None and figures.average_value is not None:
        average = f"{fmt.money(figures.average_value)} {quote}"
        share = f"{fmt.pct(figures.fee_share_pct, 2)} of the average value ({average})"
    return f"<b>Per month</b> ({esc(quote)})\n{table(rows, right=frozenset({1, 2, 3}))}\n" + esc(
        f"Fees paid: {fmt.money(figures.fees)} {quote}, {share}."
    )
