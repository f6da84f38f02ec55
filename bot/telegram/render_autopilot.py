"""Telegram HTML for the autopilot: proposals, waits, automatic runs, /status. Pure."""

from __future__ import annotations

from bot import fmt
from bot.telegram import messages, render
from bot.telegram.markup import esc
from bot.telegram.render_info import when
from core.app.api import AutopilotCheck, AutopilotStatus, PreparedPlan, RunSummary
from core.domain.autopilot import Guard
from core.domain.models import Plan

ROBOT = "🤖"
NOT_CHECKED = "once the bot runs (within 10 s of its start)"
MODE_WORDS = {
    "off": "off: alerts only",
    "propose": "propose: due rebalances are sent with Confirm buttons",
    "auto": "auto: due rebalances are executed within the caps",
}


def guard(check: AutopilotCheck, held: Guard) -> str:
    """Why `held` stopped the automatic run, in words (plain text)."""
    quote = check.plan.quote_currency if check.plan else ""
    traded = fmt.money(check.plan.traded_value) if check.plan else "?"
    cap = "unset" if check.max_trade_value is None else fmt.money(check.max_trade_value)
    ends = when(check.cooldown_ends_at) if check.cooldown_ends_at else "soon"
    words = {
        Guard.SNAPSHOT: "the market data is the bundled snapshot, not live prices",
        Guard.PAUSED: "the autopilot is paused (/resume lets it run again)",
        Guard.COOLDOWN: f"the cooldown (REBALANCE_COOLDOWN_MINUTES) lasts until {ends}",
        Guard.UNRESOLVED: (
            "an earlier order's outcome is not known yet; it is being checked again"
        ),
        Guard.MAX_TRADE_VALUE: (
            f"the plan trades {traded} {quote}, more than AUTOPILOT_MAX_TRADE_VALUE ({cap} {quote})"
        ),
        Guard.MAX_RUNS_PER_DAY: (
            f"{fmt.plural(check.runs_today, 'automatic rebalance')} already ran today "
            f"(AUTOPILOT_MAX_RUNS_PER_DAY={check.max_runs_per_day}, per UTC day)"
        ),
    }
    return words[held]


def _guards(check: AutopilotCheck) -> str:
    return "; ".join(guard(check, g) for g in check.guards)


def proposal(prepared: PreparedPlan, check: AutopilotCheck, mode: str) -> str:
    """The plan with its Confirm note, led by why it comes (and what held the autopilot)."""
    if check.guards:
        lead = (
            f"{ROBOT} <b>Autopilot</b>: a rebalance is due, but I did not execute it: "
            f"{esc(_guards(check))}. Confirm it yourself if you agree."
        )
    else:
        lead = f"{ROBOT} <b>Autopilot</b>: a rebalance is due. Confirm to execute it."
    return f"{lead}\n\n{render.prepared(prepared, mode)}"


def waiting(check: AutopilotCheck) -> str:
    """A due rebalance the autopilot holds for now (told once per crossing and reason)."""
    why = messages.refused(check.refusal) if check.refusal is not None else _guards(check)
    due = render.due_line(check.plan) if check.plan else ""
    return (
        f"{ROBOT} <b>Autopilot waiting</b>: {esc(why)}\n{due}\n"
        "I'll try again at the next check and won't repeat this."
    )


def executed(check: AutopilotCheck, mode: str) -> str:
    """An automatic run: what triggered it, then the full report."""
    trigger = _trigger(check.plan)
    if check.report is None:
        failure = messages.describe(check.failure) if check.failure else messages.UNEXPECTED
        return (
            f"{ROBOT} <b>Autopilot rebalance failed</b>\n{trigger}\n⚠️ {esc(failure)}\n"
            "See /history before trying again."
        )
    return f"{ROBOT} <b>Autopilot rebalance</b>\n{trigger}\n\n{render.report(check.report, mode)}"


def _trigger(plan: Plan | None) -> str:
    if plan is None:
        return ""
    return f"Triggered by: {render.due_line(plan)}"


def status(s: AutopilotStatus) -> str:
    """`/status`: mode, pause, strategy, next check, last run, caps."""
    lines = [f"{ROBOT} <b>Autopilot</b>: {esc(MODE_WORDS.get(s.mode, s.mode))}"]
    if s.paused:
        since = f" since {when(s.paused_at)}" if s.paused_at else ""
        lines.append(f"⏸ <b>Paused</b>{esc(since)}. /resume to let it run.")
    else:
        lines.append("▶️ Not paused. /pause holds automatic runs.")
    lines.append(f"Strategy: {esc(s.strategy)} (REBALANCE_TO)")
    upcoming = when(s.next_check_at) if s.next_check_at else NOT_CHECKED
    lines.append(f"Next check: {esc(upcoming)} (every {s.check_interval_minutes} min)")
    lines.append(f"Last run: {esc(_last_run(s.last_run))}")
    lines.append(esc(_caps(s)))
    if s.cooldown_ends_at is not None:
        lines.append(f"Cooldown until {esc(when(s.cooldown_ends_at))}")
    return "\n".join(lines)


def _last_run(run: RunSummary | None) -> str:
    if run is None:
        return "none yet"
    return f"#{run.run_id} {when(run.started_at)}, {fmt.outcome(run.outcome.value)} ({run.trigger})"


def _caps(s: AutopilotStatus) -> str:
    cap = "no cap" if s.max_trade_value is None else f"{fmt.money(s.max_trade_value)}"
    money = f"{cap} {s.quote_currency}" if s.max_trade_value is not None else cap
    return (
        f"Cap: {money} per automatic run; {s.runs_today} of {s.max_runs_per_day} "
        "automatic runs used today (UTC)"
    )


def pause_result(changed: bool) -> str:
    if changed:
        return (
            "⏸ Autopilot <b>paused</b>: no rebalance runs without a tap until /resume "
            "(with AUTOPILOT=auto, a due rebalance is proposed with buttons instead)."
        )
    return "The autopilot was already paused. /resume to let it run."


def resume_result(changed: bool) -> str:
    if changed:
        return "▶️ Autopilot <b>resumed</b>: the next check acts on a due rebalance."
    return "The autopilot was not paused. /status shows it."
