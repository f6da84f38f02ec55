"""What one scheduled check decides (core.domain.autopilot), by example and by property."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from core.domain.autopilot import (
    Action,
    AutopilotMode,
    Caps,
    Crossing,
    Decision,
    Facts,
    Guard,
    after_wait,
    day_start,
    decide,
    failed_guards,
)
from core.domain.models import DataSource, Plan
from core.domain.planner import make_plan
from tests.unit.builders import NOW, WORKED_TARGETS, decimals, plan_settings, worked_portfolio

AUTO, PROPOSE, OFF = AutopilotMode.AUTO, AutopilotMode.PROPOSE, AutopilotMode.OFF
CAPS = Caps(max_trade_value=Decimal(20_000), max_runs_per_day=4)


def due_plan(*, live: bool = True) -> Plan:
    """The worked example (BTC +32.7 pp): due, about 10,000 EUR of orders."""
    plan = make_plan(
        worked_portfolio(), decimals(WORKED_TARGETS), frozenset(), plan_settings(), NOW
    )
    return replace(plan, source=DataSource("kraken", NOW)) if live else plan


def in_band_plan() -> Plan:
    return replace(due_plan(), rebalance_due=False)


def facts(**changes: object) -> Facts:
    base = Facts(paused=False, runs_today=0, cooldown_ends_at=None, unresolved=False, now=NOW)
    return replace(base, **changes)  # type: ignore[arg-type]


FRESH = Crossing()


def auto(plan: Plan | None = None, crossing: Crossing = FRESH, **kw: object) -> Decision:
    return decide(AUTO, plan or due_plan(), CAPS, crossing, facts(**kw))


def test_a_due_plan_passing_every_guard_is_executed_and_the_crossing_is_spent() -> None:
    decision = auto()
    assert decision.action is Action.EXECUTE
    assert decision.crossing == Crossing(armed=False)


def test_the_same_crossing_is_not_acted_on_twice() -> None:
    first = auto()
    assert auto(crossing=first.crossing).action is Action.NOTHING


def test_back_in_band_re_arms_the_next_crossing() -> None:
    spent = Crossing(armed=False, told="cooldown")
    decision = decide(AUTO, in_band_plan(), CAPS, spent, facts())
    assert decision == Decision(Action.NOTHING, Crossing())
    assert auto(crossing=decision.crossing).action is Action.EXECUTE


def test_off_never_acts() -> None:
    assert decide(OFF, due_plan(), CAPS, Crossing(), facts()).action is Action.NOTHING


def test_propose_proposes_once_per_crossing_whatever_the_caps() -> None:
    decision = decide(PROPOSE, due_plan(), Caps(max_trade_value=None), Crossing(), facts())
    assert (decision.action, decision.guards) == (Action.PROPOSE, ())
    again = decide(PROPOSE, due_plan(), CAPS, decision.crossing, facts())
    assert again.action is Action.NOTHING


def test_a_plan_over_the_trade_cap_is_proposed_naming_the_cap() -> None:
    small = Caps(max_trade_value=Decimal(100))
    decision = decide(AUTO, due_plan(), small, Crossing(), facts())
    assert (decision.action, decision.guards) == (Action.PROPOSE, (Guard.MAX_TRADE_VALUE,))
    assert not decision.crossing.armed


def test_a_plan_on_the_bundled_snapshot_is_proposed_not_executed() -> None:
    decision = auto(due_plan(live=False))
    assert (decision.action, decision.guards) == (Action.PROPOSE, (Guard.SNAPSHOT,))


def test_a_paused_autopilot_proposes_instead() -> None:
    assert auto(paused=True).guards == (Guard.PAUSED,)
    assert auto(paused=True).action is Action.PROPOSE


def test_the_daily_runs_used_up_propose_instead() -> None:
    assert auto(runs_today=3).action is Action.EXECUTE
    decision = auto(runs_today=4)
    assert (decision.action, decision.guards) == (Action.PROPOSE, (Guard.MAX_RUNS_PER_DAY,))


def test_every_failing_guard_is_named_in_order() -> None:
    busy = facts(paused=True, runs_today=1)
    guards = failed_guards(due_plan(live=False), Caps(Decimal(1), 1), busy)
    assert guards == (Guard.SNAPSHOT, Guard.PAUSED, Guard.MAX_RUNS_PER_DAY, Guard.MAX_TRADE_VALUE)


def test_the_cooldown_makes_it_wait_and_is_told_once() -> None:
    ends = NOW + timedelta(minutes=30)
    first = auto(cooldown_ends_at=ends)
    assert (first.action, first.tell, first.guards) == (Action.WAIT, True, (Guard.COOLDOWN,))
    assert first.crossing == Crossing(armed=True, told="cooldown")
    second = auto(crossing=first.crossing, cooldown_ends_at=ends)
    assert (second.action, second.tell) == (Action.WAIT, False)
    after = auto(crossing=second.crossing, cooldown_ends_at=ends, now=ends)
    assert after.action is Action.EXECUTE


def test_orders_of_unknown_outcome_make_it_wait_even_when_paused() -> None:
    decision = auto(unresolved=True, paused=True)
    assert decision.action is Action.WAIT
    assert decision.guards == (Guard.UNRESOLVED,)


def test_propose_waits_for_the_cooldown_before_offering_a_plan() -> None:
    ends = NOW + timedelta(minutes=30)
    decision = decide(PROPOSE, due_plan(), CAPS, Crossing(), facts(cooldown_ends_at=ends))
    assert decision.action is Action.WAIT


def test_a_refused_execution_waits_and_a_new_reason_is_told_again() -> None:
    first = after_wait(Crossing(), "prices_moved")
    assert (first.action, first.tell, first.crossing.armed) == (Action.WAIT, True, True)
    assert not after_wait(first.crossing, "prices_moved").tell
    assert after_wait(first.crossing, "busy").tell


def test_a_due_plan_without_orders_changes_nothing() -> None:
    plan = replace(due_plan(), orders=())
    spent = Crossing(armed=False)
    assert decide(AUTO, plan, CAPS, spent, facts()) == Decision(Action.NOTHING, spent)
    assert auto(plan).action is Action.NOTHING


def test_the_day_starts_at_midnight_utc() -> None:
    moment = datetime(2026, 1, 12, 0, 30, tzinfo=UTC)
    assert day_start(moment) == datetime(2026, 1, 12, tzinfo=UTC)


crossings = st.builds(Crossing, st.booleans(), st.sampled_from(["", "cooldown", "busy"]))
all_facts = st.builds(
    Facts,
    paused=st.booleans(),
    runs_today=st.integers(0, 6),
    cooldown_ends_at=st.one_of(st.none(), st.just(NOW + timedelta(minutes=5)), st.just(NOW)),
    unresolved=st.booleans(),
    now=st.just(NOW),
)
caps = st.builds(
    Caps,
    max_trade_value=st.one_of(st.none(), st.decimals(0, 30_000, places=2)),
    max_runs_per_day=st.integers(1, 5),
)


@given(mode=st.sampled_from(list(AutopilotMode)), crossing=crossings, f=all_facts, c=caps)
def test_an_execution_happens_only_when_armed_in_auto_with_every_guard_passing(
    mode: AutopilotMode, crossing: Crossing, f: Facts, c: Caps
) -> None:
    decision = decide(mode, due_plan(), c, crossing, f)
    if decision.action is Action.EXECUTE:
        assert mode is AUTO and crossing.armed
        assert not failed_guards(due_plan(), c, f)
        assert c.max_trade_value is not None and due_plan().traded_value <= c.max_trade_value
        assert f.runs_today < c.max_runs_per_day and not f.paused and not f.unresolved


@given(mode=st.sampled_from(list(AutopilotMode)), crossing=crossings, f=all_facts, c=caps)
def test_acting_spends_the_crossing_and_no_second_action_follows(
    mode: AutopilotMode, crossing: Crossing, f: Facts, c: Caps
) -> None:
    decision = decide(mode, due_plan(), c, crossing, f)
    if decision.action in (Action.EXECUTE, Action.PROPOSE):
        assert not decision.crossing.armed
        assert decide(mode, due_plan(), c, decision.crossing, f).action is Action.NOTHING
    if decision.action is Action.WAIT:
        repeat = decide(mode, due_plan(), c, decision.crossing, f)
        assert repeat.action is Action.WAIT and not repeat.tell
