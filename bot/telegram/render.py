"""Telegram HTML for checks, previews, plans awaiting confirmation and executions. Pure.

Every inserted value goes through `esc` (or `markup.table`, which escapes); tables are
narrower than the CLI's so they fit a phone. Money and percentages use `bot.fmt`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from bot import fmt, maker_fmt
from bot.telegram import messages
from bot.telegram.markup import bullets, esc, table
from bot.telegram.parse import Action, button_data
from core.app.api import ExecutionReport, OrderOutcome, PreparedPlan
from core.domain.models import AssetLine, DataSource, LineStatus, Plan, PlannedOrder
from core.domain.statuses import RunOutcome
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

_NOTE_MARK = {
    LineStatus.LOCKED: "🔒",
    LineStatus.BLOCKED: "⛔",
    LineStatus.UNMANAGED: "➖",
}
_STATUS_MARK = {"filled": "✅", "partial": "⚠️", "unknown": "⏳", "sent": "⏳", "open": "⏳"}
_OUTCOME_TITLE = {
    RunOutcome.FULL: "✅ Rebalance done",
    RunOutcome.PARTIAL: "⚠️ Rebalance done in part",
    RunOutcome.FAILED: "❌ Rebalance failed: no order filled",
    RunOutcome.NOTHING: "Nothing to rebalance",
    RunOutcome.RUNNING: "⏳ Rebalance still running",
    RunOutcome.UNKNOWN: "⏳ Rebalance outcome not known yet",
}
# The status line left under a confirmed plan, above the report.
_DONE_STATUS = {
    RunOutcome.FULL: "Executed: the report is below.",
    RunOutcome.PARTIAL: "Done (partial): the report is below.",
    RunOutcome.FAILED: "Failed: no order filled; the report is below.",
    RunOutcome.NOTHING: "Nothing to execute: the report is below.",
    RunOutcome.RUNNING: "Still running: the report is below.",
    RunOutcome.UNKNOWN: "Outcome not known yet: the report is below.",
}


def signed(value: Decimal | None) -> str:
    """A drift in percentage points for a narrow column: '+5.5', '-0.3', '—'."""
    if value is None:
        return "—"
    q = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
    return f"{q:+.1f}" if q else "0.0"


def points(value: Decimal | None) -> str:
    return fmt.pp(value).lstrip("+")


def header(title: str, plan: Plan, mode: str) -> str:
    total = f"{fmt.money(plan.total_value)} {plan.quote_currency}"
    pool = fmt.pool_note(plan.total_value, plan.pool_value, plan.quote_currency)
    total += f" ({pool})" if pool else ""
    return f"<b>{esc(title)}</b> · {esc(mode)} mode\nTotal value: {esc(total)}"


def source_line(source: DataSource) -> str:
    if source.is_snapshot:
        note = source.note or f"bundled snapshot of {source.as_of:%Y-%m-%d}; not live"
        return f"<i>Market data: {esc(note)}</i>"
    name = esc(fmt.source_name(source.name))
    return f"<i>Market data: {name}, {source.as_of:%Y-%m-%d %H:%M} UTC</i>"


def allocation(plan: Plan) -> str:
    """The pool's members: shares of the pool, drift and band in percentage points."""
    rows = [["Asset", "Now", "Target", "Drift", "Band"]]
    rows += [
        [x.asset, fmt.pct(x.weight_pct), fmt.pct(x.target_pct), signed(x.drift_pct), band_cell(x)]
        for x in plan.pool_lines
    ]
    return table(rows, right=frozenset({1, 2, 3, 4}))


def band_cell(line: AssetLine) -> str:
    return (
        "—"
        if line.band_pct is None
        else f"±{line.band_pct.quantize(Decimal('0.1'), ROUND_HALF_EVEN)}"
    )


def _note(line: AssetLine) -> str | None:
    """A holding outside the pool, with why and its share of the whole account."""
    mark = _NOTE_MARK.get(line.status)
    if mark is None:
        return None
    why = line.note or line.status.value
    share = f"{fmt.pct(line.account_pct)} of the account"
    return f"{mark} {esc(line.asset)}: {esc(why)} · {esc(share)}"


def notes(plan: Plan) -> str:
    found = [note for note in map(_note, plan.lines) if note]
    found += [
        f"{esc(name)} {esc(fmt.amount(amount))}: not tradable (shown, never traded)"
        for name, amount in plan.untradable
    ]
    return bullets(found) if found else ""


def due_line(plan: Plan, hint: bool = False) -> str:
    """Whether a rebalance is due; `hint` adds what to send next (for /check only)."""
    worst = plan.furthest()
    if worst is None:
        return "Nothing to rebalance: no asset has a target."
    where = f"{esc(worst.asset)} is {esc(fmt.pp(worst.drift_pct))} off target"
    band = esc(points(worst.band_pct))
    if plan.rebalance_due:
        after = " See /preview, then /rebalance." if hint else ""
        return f"⚠️ <b>Rebalance due</b>: {where} (band ±{band}).{after}"
    return f"✅ In band: {where} at most (band ±{band})."


def not_due(plan: Plan) -> str:
    """The answer to /rebalance when every drift is inside the band."""
    return (
        f"{due_line(plan)}\nNo rebalance is due, so nothing is offered: trading now would "
        "pay fees for little. Send /rebalance force to see the orders anyway."
    )


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)


def check(plan: Plan, mode: str) -> str:
    legend = (
        "<i>Now and Target are shares of the pool a rebalance trades; Drift and Band in "
        "percentage points.</i>"
    )
    return _join(
        header("Portfolio check", plan, mode),
        allocation(plan) + "\n" + legend,
        notes(plan),
        due_line(plan, hint=True),
        source_line(plan.source),
    )


def orders(items: Sequence[PlannedOrder], quote: str) -> str:
    if not items:
        return "No orders."
    rows = [["Side", "Asset", "Amount", quote]]
    rows += [
        [o.side.value.upper(), o.asset, fmt.amount(o.amount), fmt.money(o.cost)] for o in items
    ]
    return table(rows, right=frozenset({2, 3}))


def skipped(plan: Plan) -> str:
    if not plan.skipped:
        return ""
    items = [
        f"{esc(s.side.value.upper())} {esc(fmt.amount(s.amount))} {esc(s.asset)}: {esc(s.reason)}"
        for s in plan.skipped
    ]
    return "Skipped:\n" + bullets(items)


def totals(plan: Plan) -> str:
    quote = plan.quote_currency
    traded = f"{fmt.money(plan.traded_value)} {quote}"
    fees = f"{fmt.money(plan.fees)} {quote}"
    drift = f"{points(plan.max_drift_pct)} → {points(plan.residual_drift_pct)}"
    how_far = fmt.how_far(plan.rebalance_to, plan.fraction, plan.rebalance_due)
    return (
        f"{fmt.plural(len(plan.sells), 'sell')}, {fmt.plural(len(plan.buys), 'buy')}: "
        f"{esc(traded)}, "
        f"estimated fees {esc(fees)}.\nLargest drift: {esc(drift)} after the plan.\n"
        f"{esc(how_far)}"
    )


def preview(plan: Plan, mode: str, title: str = "Rebalance preview") -> str:
    return _join(
        header(title, plan, mode),
        "Orders (sells first):\n" + orders(plan.orders, plan.quote_currency),
        skipped(plan),
        notes(plan),
        totals(plan),
        due_line(plan),
        source_line(plan.source),
    )


def prepared(prepared_plan: PreparedPlan, mode: str) -> str:
    plan = prepared_plan.plan
    text = preview(plan, mode, title="Rebalance plan")
    if not plan.orders:
        return text + "\n\nNothing to confirm."
    live = "real orders on Kraken" if mode == "live" else "paper orders (no real money)"
    until = f"{prepared_plan.expires_at:%H:%M:%S} UTC"
    return text + f"\n\n<b>Confirm</b> to place these {esc(live)}; valid until {esc(until)}."


def confirm_keyboard(plan_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    "✅ Confirm", callback_data=button_data(Action.CONFIRM, plan_id)
                ),
                InlineKeyboardButton("✖️ Cancel", callback_data=button_data(Action.CANCEL, plan_id)),
            ]
        ]
    )


def reason(text: str) -> str:
    """An order's failure reason, led by plain words when Kraken's code is a known one:
    'not enough funds; Kraken: EOrder:Insufficient funds'."""
    words = messages.order_reason(text)
    return f"{words}; Kraken: {text}" if words else text


def _not_filled(order: OrderOutcome) -> str:
    """'rejected (not enough funds; Kraken: …)', 'rejected: <raw reason>' or the bare status."""
    if not order.reason:
        return order.status
    if messages.order_reason(order.reason):
        return f"{order.status} ({reason(order.reason)})"
    return f"{order.status}: {order.reason}"


def order_line(order: OrderOutcome, quote: str) -> str:
    mark = _STATUS_MARK.get(order.status, "❌")
    side = order.side.value.upper()
    if order.filled <= 0:
        return esc(
            f"{mark} {side} {fmt.amount(order.requested)} {order.asset}: {_not_filled(order)}"
        )
    price = fmt.price(order.average_price)
    text = (
        f"{mark} {side} {fmt.amount(order.filled)} {order.asset} at {price}"
        f" = {fmt.money(order.cost)} {quote}, fee {fmt.money(order.fee)} {quote}"
    )
    detail = maker_fmt.order_detail(order, quote)
    if order.status != "filled":
        why = f", {reason(order.reason)}" if order.reason else ""
        text += f" ({order.status} of {fmt.amount(order.requested)}{why})"
    elif detail is not None and order.reason:  # e.g. a paper maker fill assumed at the limit
        text += f" ({reason(order.reason)})"
    if detail is not None:
        text += f" · {detail}"
    return esc(text)


def executed_status(outcome: RunOutcome) -> str:
    """The line left under a confirmed plan: how the run ended, and where the report is."""
    return esc(_DONE_STATUS.get(outcome, "Done: the report is below."))


def with_status(original: str, status: str) -> str:
    """The plan message with a status line under it (buttons are removed separately)."""
    return f"{original}\n\n{status}"


def executing(done: Sequence[OrderOutcome], quote: str) -> str:
    lines = ["⏳ <b>Executing…</b>"]
    lines += [order_line(o, quote) for o in done]
    return "\n".join(lines)


def report(result: ExecutionReport, mode: str) -> str:
    quote = result.quote_currency
    title = _OUTCOME_TITLE.get(result.outcome, esc(result.outcome.value))
    lines = [f"<b>{title}</b> · {esc(mode)} mode"]
    if result.problem:
        lines.append("⚠️ " + esc(fmt.problem(result.problem, "/history")))
    lines += [order_line(o, quote) for o in result.orders]
    if result.dropped:
        assets = [d.asset for d in result.dropped]
        lines.append(esc(fmt.not_bought(assets, [d.reason for d in result.dropped])))
    if result.unresolved:
        lines.append("⏳ " + esc(fmt.unknown_orders(result.unresolved, "/history")))
    if len(result.skipped) > len(result.dropped):
        lines.append(f"Skipped: {len(result.skipped) - len(result.dropped)} (see /history).")
    traded = f"{fmt.money(result.traded_value)} {quote}"
    drift = f"{points(result.drift_before)} → {points(result.drift_after)}"
    saving = maker_fmt.run_saving(result.orders, quote)
    lines += [
        "",
        f"Traded {esc(traded)}, fees {esc(fmt.money(result.fees))} {esc(quote)}.",
        *([esc(saving)] if saving else []),
        f"Largest drift: {esc(drift)}.",
        f"{result.succeeded} of {fmt.plural(len(result.orders), 'order')} filled "
        f"in {result.duration_s:.1f} s.",
    ]
    if result.outcome in (RunOutcome.PARTIAL, RunOutcome.FAILED):
        lines.append("Check /check before trying again.")
    return "\n".join(lines)
