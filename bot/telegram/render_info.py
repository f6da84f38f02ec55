"""Telegram HTML for help, locks, targets, stats, history and alerts. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from bot import fmt
from bot.telegram.markup import bullets, esc, table
from bot.telegram.parse import EXAMPLE_TARGETS
from bot.telegram.render import band_cell, points, signed
from core.app.api import DriftAlert, LockInfo, OrderOutcome, RunSummary, Stats

MODE_WORDS = {
    "paper": "paper mode: simulated orders, no real money moves",
    "live": "LIVE mode: orders are real and spend real money on Kraken",
}


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def help_text(mode: str, commands: Sequence[tuple[str, str]]) -> str:
    listed = "\n".join(f"/{esc(name)} {esc(text)}" for name, text in commands)
    return (
        "I keep your Kraken portfolio at its target weights: I check the drift, show the "
        "orders that would fix it, and place them only after you confirm.\n\n"
        f"Running in <b>{esc(MODE_WORDS.get(mode, mode + ' mode'))}</b>.\n\n{listed}"
    )


def unknown_command(text: str) -> str:
    command = (text.split(maxsplit=1) or [""])[0]
    return f"I don't know {esc(command[:40])}. Send /help for the list of commands."


def not_a_command() -> str:
    return "I only understand commands. Send /help for the list."


def refusal(user_id: int) -> str:
    return (
        "Sorry, this bot is private. Your Telegram user id is "
        f"<code>{user_id}</code>: the owner can add it to TELEGRAM_ALLOWED_USERS."
    )


def locked(locks: Sequence[LockInfo]) -> str:
    if not locks:
        return "No asset is locked. Lock one with /lock BTC."
    items = [
        f"🔒 <b>{esc(x.symbol)}</b> since {esc(when(x.locked_at))}"
        + (f": {esc(x.reason)}" if x.reason else "")
        for x in locks
    ]
    return (
        "Locked (rebalances never trade these):\n"
        + bullets(items)
        + "\n\n/unlock BTC or /unlock all"
    )


def lock_result(symbol: str, changed: bool) -> str:
    if changed:
        name = esc(symbol)
        return f"🔒 <b>{name}</b> is locked: rebalances won't trade it. /unlock {name} to undo."
    return f"<b>{esc(symbol)}</b> was already locked."


def unlock_result(symbol: str, changed: bool) -> str:
    if changed:
        return f"🔓 <b>{esc(symbol)}</b> is unlocked."
    return f"<b>{esc(symbol)}</b> was not locked. /locked lists the locks."


def unlock_all_result(count: int, names: Sequence[str] = ()) -> str:
    """'🔓 Unlocked 2 assets: BTC, ETH.'; the names only when they match the count."""
    if not count:
        return "Nothing was locked."
    listed = f": {esc(', '.join(names))}" if len(names) == count else ""
    return f"🔓 Unlocked {esc(fmt.plural(count, 'asset'))}{listed}."


def targets(weights: Mapping[str, Decimal], title: str = "Target weights") -> str:
    rows = [["Asset", "Target"]] + [[symbol, fmt.pct(w)] for symbol, w in weights.items()]
    shown = table(rows, right=frozenset({1}))
    return f"<b>{esc(title)}</b>\n{shown}\nChange them: {esc(EXAMPLE_TARGETS)}"


def _counts(stats: Stats) -> str:
    counts = sorted(stats.runs_by_outcome.items())
    parts = [f"{n} {esc(fmt.outcome(outcome))}" for outcome, n in counts if n]
    by = fmt.triggers(dict(stats.runs_by_trigger))
    started = f"; started by: {esc(by)}" if by else ""
    return f"Rebalances: {stats.runs}" + (f" ({', '.join(parts)})" if parts else "") + started


def stats(s: Stats) -> str:
    quote = s.quote_currency
    money = f"Traded {fmt.money(s.total_traded)} {quote}, fees {fmt.money(s.total_fees)} {quote}"
    drift = f"{points(s.avg_drift_before)} → {points(s.avg_drift_after)}"
    lines = [
        "<b>Statistics</b>",
        _counts(s),
        esc(money),
        f"Average drift before → after: {esc(drift)}",
    ]
    if s.volume_by_asset:
        rows = [["Asset", f"Traded {quote}"]]
        rows += [[a, fmt.money(v)] for a, v in sorted(s.volume_by_asset.items())]
        lines.append(table(rows, right=frozenset({1})))
    if s.last_run is not None:
        lines.append(
            f"Last run: {esc(when(s.last_run.started_at))}, "
            f"{esc(fmt.outcome(s.last_run.outcome.value))}"
        )
    if s.cooldown_ends_at is not None:
        lines.append(f"Cooldown until {esc(when(s.cooldown_ends_at))}")
    if s.locks:
        lines.append("Locked: " + esc(", ".join(x.symbol for x in s.locks)))
    return "\n".join(lines)


def history(runs: Sequence[RunSummary], quote: str) -> str:
    if not runs:
        return "No rebalance yet. /preview shows what one would do."
    blocks = [_run(run, quote) for run in runs]
    title = esc(f"Last {fmt.plural(len(runs), 'rebalance')}")
    return f"<b>{title}</b>\n\n" + "\n\n".join(blocks)


def _run(run: RunSummary, quote: str) -> str:
    head = (
        f"#{run.run_id} {esc(when(run.started_at))}: <b>{esc(fmt.outcome(run.outcome.value))}</b>"
        f" · {esc(run.trigger)}"
    )
    money = f"traded {fmt.money(run.traded_value)} {quote}, fees {fmt.money(run.fees)} {quote}"
    body = f"{esc(money)}, drift {esc(points(run.drift_before))} → {esc(points(run.drift_after))}"
    lines = [head, body] + [_order_brief(o) for o in run.orders]
    if any(o.unresolved for o in run.orders):
        lines.append(esc(fmt.unknown_orders(sum(o.unresolved for o in run.orders), "")))
    return "\n".join(lines)


def _order_brief(o: OrderOutcome) -> str:
    amount = fmt.amount(o.filled if o.filled > 0 else o.requested)
    return esc(f"  {o.side.value.upper()} {amount} {o.asset}: {o.status}")


def alerts_state(enabled: bool) -> str:
    if enabled:
        return "🔔 Drift alerts are <b>on</b>. /alerts off to stop them."
    return "🔕 Drift alerts are <b>off</b>. /alerts on to get them."


def alert(drift: DriftAlert, interval_minutes: int) -> str:
    plan = drift.plan
    rows = [["Asset", "Now", "Target", "Drift", "Band"]]
    rows += [
        [x.asset, fmt.pct(x.weight_pct), fmt.pct(x.target_pct), signed(x.drift_pct), band_cell(x)]
        for x in plan.pool_lines
        if x.out_of_band
    ]
    return (
        f"⚠️ <b>Rebalance due</b>: drift up to {esc(points(plan.max_drift_pct))} "
        f"(shares of the pool).\n{table(rows, right=frozenset({1, 2, 3, 4}))}\n"
        f"/preview to see the orders, /rebalance to fix it. I check every {interval_minutes} min; "
        "/alerts off to stop these."
    )


def check_failing(words: str) -> str:
    return (
        f"⚠️ My scheduled drift checks keep failing: {esc(words)}\n"
        "I'll keep trying and won't repeat this."
    )


def reconciled(orders: Sequence[OrderOutcome]) -> str:
    """What a later look at the exchange found of orders whose outcome was not known."""
    lines = [
        f"🔎 <b>Checked again</b>: {esc(fmt.plural(len(orders), 'order'))} of an earlier "
        "rebalance, now known:"
    ]
    lines += [_order_brief(o) for o in orders]
    lines.append("See /history.")
    return "\n".join(lines)
