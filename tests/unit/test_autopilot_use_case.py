"""The autopilot use case (core.app.autopilot) on in-memory fakes of its ports."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from core.app.autopilot import AUTOPILOT_USER, TRIGGER, Autopilot
from core.app.settings import AppSettings, AutopilotSettings
from core.domain.autopilot import Action, AutopilotMode, Caps, Guard
from core.domain.models import DataSource, Plan
from core.domain.planner import make_plan
from core.errors import ExchangeUnavailable, ExecutionRefused
from tests.fakes.autopilot import FakeAutopilotStore, FakePlanning
from tests.fakes.clocks import NOW, FakeClock
from tests.unit.builders import WORKED_TARGETS, decimals, plan_settings, worked_portfolio

USERS = ("111", "222")


def due_plan(*, live: bool = True) -> Plan:
    plan = make_plan(
        worked_portfolio(), decimals(WORKED_TARGETS), frozenset(), plan_settings(), NOW
    )
    return replace(plan, source=DataSource("kraken", NOW)) if live else plan


def in_band() -> Plan:
    return replace(due_plan(), rebalance_due=False)


class World:
    """An autopilot over fakes; `mode` and the caps as the test says."""

    def __init__(
        self,
        mode: AutopilotMode = AutopilotMode.AUTO,
        cap: str | None = "20000",
        runs_per_day: int = 4,
        cooldown_minutes: int = 60,
    ) -> None:
        self.clock = FakeClock()
        self.store = FakeAutopilotStore()
        self.planning = FakePlanning(due_plan(), self.store, self.clock)
        caps = Caps(None if cap is None else Decimal(cap), runs_per_day)
        settings = AppSettings(
            mode="paper",
            plan=plan_settings(),
            cooldown_minutes=cooldown_minutes,
            autopilot=AutopilotSettings(mode, caps, check_interval_minutes=60),
        )
        self.autopilot = Autopilot(self.planning, self.store, settings, self.clock)

    async def check(self):  # type: ignore[no-untyped-def]
        return await self.autopilot.check(USERS)


@pytest.fixture
def world() -> World:
    return World()


async def test_auto_executes_a_due_plan_once_as_the_autopilot(world: World) -> None:
    first = await world.check()
    assert first.action is Action.EXECUTE and first.report is not None
    assert world.planning.executed == [(first.report.plan_id, AUTOPILOT_USER, TRIGGER)]
    again = await world.check()
    assert again.action is Action.NOTHING
    assert len(world.planning.executed) == 1


async def test_a_new_crossing_after_being_back_in_band_executes_again() -> None:
    world = World(cooldown_minutes=0)
    await world.check()
    world.planning.plan = in_band()
    assert (await world.check()).action is Action.NOTHING
    world.planning.plan = due_plan()
    assert (await world.check()).action is Action.EXECUTE
    assert len(world.planning.executed) == 2


async def test_propose_gives_each_user_their_own_plan_once() -> None:
    world = World(mode=AutopilotMode.PROPOSE, cap=None)
    outcome = await world.check()
    assert outcome.action is Action.PROPOSE and outcome.guards == ()
    assert [p.user_id for p in outcome.proposals] == list(USERS)
    assert (await world.check()).action is Action.NOTHING
    assert world.planning.executed == []


async def test_off_does_nothing_at_all() -> None:
    world = World(mode=AutopilotMode.OFF)
    assert (await world.check()).action is Action.NOTHING
    assert world.planning.prepared == []


async def test_a_plan_over_the_cap_is_proposed_naming_the_cap() -> None:
    world = World(cap="100")
    outcome = await world.check()
    assert (outcome.action, outcome.guards) == (Action.PROPOSE, (Guard.MAX_TRADE_VALUE,))
    assert outcome.max_trade_value == Decimal(100)
    assert [p.user_id for p in outcome.proposals] == list(USERS)
    assert world.planning.executed == []


async def test_the_cap_is_checked_on_the_plan_that_would_trade(world: World) -> None:
    bigger = replace(due_plan(), orders=due_plan().orders * 3)
    world.planning.prepared_plan = bigger  # the prices moved between the check and the plan
    outcome = await world.check()
    assert outcome.guards == (Guard.MAX_TRADE_VALUE,)
    assert (world.planning.prepared[0].plan_id, AUTOPILOT_USER) in world.planning.cancelled
    assert world.planning.executed == []


async def test_paused_proposes_instead_and_resume_lets_the_same_crossing_run(
    world: World,
) -> None:
    assert world.autopilot.pause("111")
    assert not world.autopilot.pause("111")
    held = await world.check()
    assert (held.action, held.guards) == (Action.PROPOSE, (Guard.PAUSED,))
    assert world.planning.executed == []
    assert world.autopilot.resume("111")
    assert not world.autopilot.resume("111")
    assert (await world.check()).action is Action.EXECUTE


async def test_the_daily_runs_are_counted_from_midnight_utc() -> None:
    world = World(runs_per_day=2, cooldown_minutes=0)
    world.store.add_run(NOW - timedelta(hours=13), TRIGGER)  # yesterday
    world.store.add_run(NOW - timedelta(hours=1), TRIGGER)
    world.store.add_run(NOW - timedelta(hours=1), "manual")
    assert (await world.check()).action is Action.EXECUTE
    world.planning.plan = in_band()
    await world.check()
    world.planning.plan = due_plan()
    held = await world.check()
    assert (held.guards, held.runs_today) == ((Guard.MAX_RUNS_PER_DAY,), 2)


async def test_the_cooldown_waits_tells_once_and_runs_when_it_ends(world: World) -> None:
    world.store.add_run(NOW - timedelta(minutes=30))
    first = await world.check()
    assert (first.action, first.guards, first.tell) == (Action.WAIT, (Guard.COOLDOWN,), True)
    assert first.cooldown_ends_at == NOW + timedelta(minutes=30)
    second = await world.check()
    assert (second.action, second.tell) == (Action.WAIT, False)
    world.clock.advance(minutes=30)
    assert (await world.check()).action is Action.EXECUTE


async def test_a_refused_execution_waits_and_is_told_once(world: World) -> None:
    world.planning.refusal = ExecutionRefused("prices moved", code="prices_moved")
    first = await world.check()
    assert (first.action, first.tell, first.refusal) == (Action.WAIT, True, world.planning.refusal)
    assert (world.planning.prepared[0].plan_id, AUTOPILOT_USER) in world.planning.cancelled
    assert not (await world.check()).tell
    world.planning.refusal = None
    assert (await world.check()).action is Action.EXECUTE


async def test_a_failed_run_is_reported_and_not_retried(world: World) -> None:
    world.planning.failure = ExchangeUnavailable("Kraken is down")
    outcome = await world.check()
    assert outcome.action is Action.EXECUTE and outcome.failure is world.planning.failure
    world.planning.failure = None
    assert (await world.check()).action is Action.NOTHING


async def test_the_status_tells_mode_pause_next_check_last_run_and_caps(world: World) -> None:
    await world.check()
    world.autopilot.pause("111")
    status = world.autopilot.status()
    assert (status.mode, status.paused, status.paused_by) == ("auto", True, "111")
    assert status.next_check_at == NOW + timedelta(minutes=60)
    assert status.last_run is not None and status.last_run.trigger == TRIGGER
    assert (status.max_trade_value, status.max_runs_per_day, status.runs_today) == (
        Decimal(20000),
        4,
        1,
    )
    assert status.strategy == "target"


async def test_the_status_before_any_check_has_no_next_check_time(world: World) -> None:
    status = world.autopilot.status()
    assert (status.last_check_at, status.next_check_at, status.last_run) == (None, None, None)
    assert not status.paused


async def test_a_failed_read_while_preparing_leaves_the_crossing_to_the_next_check(
    world: World,
) -> None:
    world.planning.prepare_failure = ExchangeUnavailable("Kraken is down")
    with pytest.raises(ExchangeUnavailable):
        await world.check()
    assert (await world.check()).action is Action.EXECUTE


async def test_a_bug_during_the_run_still_spends_the_crossing(world: World) -> None:
    world.planning.failure = RuntimeError("a bug after orders went out")
    with pytest.raises(RuntimeError):
        await world.check()
    world.planning.failure = None
    assert (await world.check()).action is Action.NOTHING
    assert len(world.planning.executed) == 1


async def test_a_plan_back_in_band_by_the_time_it_is_made_runs_nothing(world: World) -> None:
    world.planning.prepared_plan = in_band()
    outcome = await world.check()
    assert outcome.action is Action.NOTHING and world.planning.executed == []
    world.planning.prepared_plan = None
    assert (await world.check()).action is Action.EXECUTE


async def test_propose_after_a_failed_read_proposes_at_the_next_check() -> None:
    world = World(mode=AutopilotMode.PROPOSE)
    world.planning.prepare_failure = ExchangeUnavailable("Kraken is down")
    with pytest.raises(ExchangeUnavailable):
        await world.check()
    assert (await world.check()).action is Action.PROPOSE
