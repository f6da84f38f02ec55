"""One bot per account, on real databases: a bot records itself and beats; another bot on the
same database is refused while that heartbeat is fresh (by the database's clock, injected
here), and starts once it is stale, released, or its process is known dead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.app.instance import INSTANCE_STALE_SECONDS, BotInstance, fresh_instance
from core.app.lease import LeaseTerms
from core.app.maintenance import hold_for_restore
from core.errors import OperationRefused
from core.store.db import make_engine
from core.store.repo import Store
from tests.fakes.clocks import FakeClock
from tests.fakes.processes import FakeProcesses

pytestmark = pytest.mark.both_engines


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db_url: str, clock: FakeClock) -> Iterator[Store]:
    """The database, its clock (what heartbeats are timed by) moved by the test."""
    store = Store(make_engine(db_url), clock=clock)
    yield store
    store.close()


@pytest.fixture
def processes() -> FakeProcesses:
    return FakeProcesses()


def bot(store: Store, processes: FakeProcesses, host: str = "testhost") -> BotInstance:
    terms = LeaseTerms(processes.spawn(host), INSTANCE_STALE_SECONDS, processes.is_dead)
    return BotInstance(store, terms)


def test_a_second_bot_is_refused_naming_the_first_while_its_heartbeat_is_fresh(
    store: Store, processes: FakeProcesses, clock: FakeClock
) -> None:
    first, second = bot(store, processes, "pi"), bot(store, processes)
    first.claim()
    clock.advance(seconds=42)
    with pytest.raises(OperationRefused) as refused:
        second.claim()
    assert refused.value.code == "instance_running"
    assert refused.value.data == {"host": "pi", "pid": first.terms.owner.pid, "age_s": 42}
    assert f"host pi, pid {first.terms.owner.pid}, last heartbeat 42 s ago" in str(refused.value)


def test_a_heartbeat_keeps_the_first_bot_in_place_past_the_stale_age(
    store: Store, processes: FakeProcesses, clock: FakeClock
) -> None:
    first, second = bot(store, processes, "pi"), bot(store, processes)
    first.claim()
    for _ in range(5):
        clock.advance(seconds=60)
        first.beat()
    with pytest.raises(OperationRefused):
        second.claim()


def test_a_stale_heartbeat_lets_a_new_bot_start_and_the_old_one_is_told_at_its_next_beat(
    store: Store, processes: FakeProcesses, clock: FakeClock
) -> None:
    first, second = bot(store, processes, "pi"), bot(store, processes)
    first.claim()
    clock.advance(seconds=INSTANCE_STALE_SECONDS + 1)
    second.claim()
    with pytest.raises(OperationRefused, match="another bot instance is running"):
        first.beat()
    beat = fresh_instance(store)
    assert beat is not None and beat.owner == second.terms.owner


def test_a_bot_that_stopped_cleanly_lets_the_next_start_at_once(
    store: Store, processes: FakeProcesses
) -> None:
    first, second = bot(store, processes, "pi"), bot(store, processes)
    first.claim()
    first.release()
    assert fresh_instance(store) is None
    second.claim()


def test_a_restart_on_the_same_host_takes_over_from_its_dead_predecessor_at_once(
    store: Store, processes: FakeProcesses
) -> None:
    crashed = bot(store, processes)
    crashed.claim()
    processes.kill(crashed.terms.owner)
    bot(store, processes).claim()


def test_a_bot_is_refused_while_a_restore_holds_the_database(
    store: Store, processes: FakeProcesses
) -> None:
    restoring = LeaseTerms(processes.spawn("laptop"), INSTANCE_STALE_SECONDS, processes.is_dead)
    hold_for_restore(store, restoring)
    with pytest.raises(OperationRefused, match="host laptop"):
        bot(store, processes).claim()


def test_a_restore_is_refused_while_a_bot_runs_and_holds_nothing_then(
    store: Store, processes: FakeProcesses
) -> None:
    running = bot(store, processes, "pi")
    running.claim()
    restoring = LeaseTerms(processes.spawn("laptop"), INSTANCE_STALE_SECONDS, processes.is_dead)
    with pytest.raises(OperationRefused) as refused:
        hold_for_restore(store, restoring)
    assert refused.value.code == "restore_busy"
    beat = fresh_instance(store)
    assert beat is not None and beat.owner == running.terms.owner
