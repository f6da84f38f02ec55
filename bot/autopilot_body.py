"""The autopilot's status and pause state as plain dicts (str, int, bool, None, lists, dicts):
the body of `rebalance-bot status --json` (and of an HTTP endpoint). Decimals are exact
strings, times ISO 8601 in UTC. Pure."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from core.app.api import AutopilotStatus, RunSummary

Body = dict[str, object]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _exact(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def run_body(run: RunSummary) -> Body:
    return {
        "run_id": run.run_id,
        "started_at": _iso(run.started_at),
        "outcome": run.outcome.value,
        "trigger": run.trigger,
        "traded_value": _exact(run.traded_value),
        "fees": _exact(run.fees),
        "drift_before": _exact(run.drift_before),
        "drift_after": _exact(run.drift_after),
    }


def status_body(s: AutopilotStatus) -> Body:
    """Mode, pause, strategy, next check, last run and caps."""
    return {
        "mode": s.mode,
        "paused": s.paused,
        "paused_by": s.paused_by,
        "paused_at": _iso(s.paused_at),
        "strategy": s.strategy,
        "check_interval_minutes": s.check_interval_minutes,
        "last_check_at": _iso(s.last_check_at),
        "next_check_at": _iso(s.next_check_at),
        "last_run": None if s.last_run is None else run_body(s.last_run),
        "max_trade_value": _exact(s.max_trade_value),
        "max_runs_per_day": s.max_runs_per_day,
        "runs_today": s.runs_today,
        "cooldown_ends_at": _iso(s.cooldown_ends_at),
        "quote_currency": s.quote_currency,
    }


def pause_body(paused: bool, changed: bool) -> Body:
    """After a pause or resume: whether the autopilot is paused now, and whether it changed."""
    return {"paused": paused, "changed": changed}
