"""Autopilot decisions (AUTOPILOT=off|propose|auto): what one scheduled check does. Pure.

A band crossing is acted on once: the first check that finds a rebalance due either
executes it (`auto`, every guard passing), or proposes it with buttons (`propose`, or `auto`
held by a guard the owner must look at), and nothing more happens until the portfolio has
been back in band. Two guards only make it wait: the cooldown (a plan could not be confirmed
before it ends) and orders whose outcome is not known yet (they are being looked up); a
refused execution (prices moved, another run busy) waits too. A wait is told once per
crossing and guard; the next check after it clears acts as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from core.domain.models import Plan


class AutopilotMode(StrEnum):
    OFF = "off"  # alerts only
    PROPOSE = "propose"  # the plan with Confirm/Cancel buttons, once per crossing
    AUTO = "auto"  # executed without a tap when every guard passes


class Guard(StrEnum):
    """What may hold an automatic run (the value is the stable code front ends word)."""

    SNAPSHOT = "snapshot"  # the market data is the bundled snapshot, not live
    PAUSED = "paused"  # the owner paused the autopilot
    COOLDOWN = "cooldown"  # REBALANCE_COOLDOWN_MINUTES have not passed
    UNRESOLVED = "unresolved"  # an order's outcome is not known yet
    MAX_TRADE_VALUE = "max_trade_value"  # the plan trades more than AUTOPILOT_MAX_TRADE_VALUE
    MAX_RUNS_PER_DAY = "max_runs_per_day"  # AUTOPILOT_MAX_RUNS_PER_DAY used up this UTC day


WAIT_GUARDS = frozenset({Guard.COOLDOWN, Guard.UNRESOLVED})
GUARD_ORDER = (  # the order guards are checked and named in
    Guard.UNRESOLVED,
    Guard.COOLDOWN,
    Guard.SNAPSHOT,
    Guard.PAUSED,
    Guard.MAX_RUNS_PER_DAY,
    Guard.MAX_TRADE_VALUE,
)


class Action(StrEnum):
    NOTHING = "nothing"  # in band, or this crossing was already acted on
    PROPOSE = "propose"  # send the plan with buttons (with the guards that held it, if any)
    EXECUTE = "execute"  # run it now, through the same path as a Confirm press
    WAIT = "wait"  # held by a wait guard: tell the owner (once), try again next check


@dataclass(frozen=True)
class Caps:
    max_trade_value: Decimal | None = None  # quote units; required for AUTO
    max_runs_per_day: int = 4


@dataclass(frozen=True)
class Crossing:
    """The autopilot's memory of the current band crossing (kept between checks)."""

    armed: bool = True  # False once this crossing was acted on, until back in band
    told: str = ""  # the wait (guard or refusal code) already told in this crossing


@dataclass(frozen=True)
class Facts:
    """What one check found, beside the plan."""

    paused: bool
    runs_today: int  # automatic runs started this UTC day
    cooldown_ends_at: datetime | None
    unresolved: bool
    now: datetime


@dataclass(frozen=True)
class Decision:
    action: Action
    crossing: Crossing  # to keep for the next check
    guards: tuple[Guard, ...] = ()  # every guard that failed, in GUARD_ORDER
    tell: bool = False  # WAIT: whether this wait is news to the owner


def actionable(plan: Plan) -> bool:
    """A rebalance is due and the plan has orders to place."""
    return plan.rebalance_due and bool(plan.orders)


def failed_guards(plan: Plan, caps: Caps, facts: Facts) -> tuple[Guard, ...]:
    """Every guard an automatic run of `plan` would fail now, in GUARD_ORDER."""
    cap = caps.max_trade_value
    failing = {
        Guard.UNRESOLVED: facts.unresolved,
        Guard.COOLDOWN: facts.cooldown_ends_at is not None and facts.now < facts.cooldown_ends_at,
        Guard.SNAPSHOT: plan.source.is_snapshot,
        Guard.PAUSED: facts.paused,
        Guard.MAX_RUNS_PER_DAY: facts.runs_today >= caps.max_runs_per_day,
        Guard.MAX_TRADE_VALUE: cap is None or plan.traded_value > cap,
    }
    return tuple(g for g in GUARD_ORDER if failing[g])


def decide(
    mode: AutopilotMode, plan: Plan, caps: Caps, crossing: Crossing, facts: Facts
) -> Decision:
    """What this check does about `plan`, and the crossing to remember."""
    if not plan.rebalance_due:
        return Decision(Action.NOTHING, Crossing())  # back in band: the next crossing counts
    if mode is AutopilotMode.OFF or not crossing.armed or not plan.orders:
        return Decision(Action.NOTHING, crossing)
    guards = failed_guards(plan, caps, facts)
    waits = tuple(g for g in guards if g in WAIT_GUARDS)
    if mode is AutopilotMode.PROPOSE:
        return _wait(crossing, waits) if waits else Decision(Action.PROPOSE, _acted(crossing))
    if waits:
        return _wait(crossing, waits)
    if guards:
        return Decision(Action.PROPOSE, _acted(crossing), guards)
    return Decision(Action.EXECUTE, _acted(crossing))


def _acted(crossing: Crossing) -> Crossing:
    """Spent until back in band; what was told stays told (a refused run waits on it)."""
    return replace(crossing, armed=False)


def _wait(crossing: Crossing, guards: tuple[Guard, ...]) -> Decision:
    return after_wait(crossing, guards[0].value, guards)


def after_wait(crossing: Crossing, code: str, guards: tuple[Guard, ...] = ()) -> Decision:
    """Wait on `code` (a wait guard, or an execution refusal's code): told once per crossing."""
    tell = crossing.told != code
    return Decision(Action.WAIT, replace(crossing, armed=True, told=code), guards, tell)


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of the day `moment` falls on (AUTOPILOT_MAX_RUNS_PER_DAY counts from it)."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
