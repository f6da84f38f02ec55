"""The autopilot in the terminal: `rebalance-bot status`, `pause`, `resume`. Pure."""

from __future__ import annotations

from datetime import datetime

from bot import fmt
from core.app.api import AutopilotStatus, RunSummary

MODE_WORDS = {
    "off": "off (alerts only)",
    "propose": "propose (due rebalances are sent with Confirm buttons)",
    "auto": "auto (due rebalances are executed within the caps)",
}
NOT_CHECKED = "once the bot runs (`rebalance-bot run`)"


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def status(s: AutopilotStatus) -> str:
    pause = "no"
    if s.paused:
        pause = "yes" + (f", since {_when(s.paused_at)}" if s.paused_at else "")
        pause += " (`rebalance-bot resume` lets it run)"
    upcoming = (
        _when(s.next_check_at) if s.next_check_at else "once the bot runs (`rebalance-bot run`)"
    )
    cap = (
        "none"
        if s.max_trade_value is None
        else f"{fmt.money(s.max_trade_value)} {s.quote_currency}"
    )
    lines = [
        f"Autopilot: {MODE_WORDS.get(s.mode, s.mode)}",
        f"Paused: {pause}",
        f"Strategy: {s.strategy} (REBALANCE_TO)",
        f"Next check: {upcoming} (every {s.check_interval_minutes} min)",
        f"Last run: {_last_run(s.last_run)}",
        f"Cap per automatic run: {cap}",
        f"Automatic runs today (UTC): {s.runs_today} of {s.max_runs_per_day}",
    ]
    if s.cooldown_ends_at is not None:
        lines.append(f"Cooldown ends: {_when(s.cooldown_ends_at)}")
    return "\n".join(lines)


def _last_run(run: RunSummary | None) -> str:
    if run is None:
        return "none yet"
    return (
        f"#{run.run_id} {_when(run.started_at)}, {fmt.outcome(run.outcome.value)} ({run.trigger})"
    )


def pause_result(changed: bool) -> str:
    if changed:
        return (
            "Autopilot paused: no automatic rebalance runs until `rebalance-bot resume` "
            "(with AUTOPILOT=auto, a due rebalance is proposed in Telegram instead)."
        )
    return "The autopilot was already paused."


def resume_result(changed: bool) -> str:
    if changed:
        return "Autopilot resumed: the next check acts on a due rebalance."
    return "The autopilot was not paused."
