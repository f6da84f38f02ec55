"""`ConflictWatch`: a spell of 409s is one error and one notice; a new spell after a quiet
while is told again; other polling errors are only warnings."""

from __future__ import annotations

from structlog.testing import capture_logs
from telegram.error import Conflict, NetworkError

from bot.telegram.conflict import CONFLICT, QUIET_S, ConflictWatch
from tests.fakes.clocks import FakeTime


def watch(time: FakeTime, told: list[float]) -> ConflictWatch:
    return ConflictWatch(lambda: told.append(time.now), clock=time.clock)


def test_a_spell_of_conflicts_is_told_once_and_logged_as_one_error() -> None:
    time, told = FakeTime(), []
    conflicts = watch(time, told)
    with capture_logs() as logs:
        for pause in (1, 1.5, 2.25, 30, 30):
            conflicts(Conflict("terminated by other getUpdates request"))
            time.now += pause
    assert len(told) == 1
    assert [e["log_level"] for e in logs if e["event"] == CONFLICT] == ["error"] + ["warning"] * 4


def test_a_conflict_after_a_quiet_while_starts_a_new_spell() -> None:
    time, told = FakeTime(), []
    conflicts = watch(time, told)
    conflicts(Conflict("terminated by other getUpdates request"))
    time.now += QUIET_S + 1
    conflicts(Conflict("terminated by other getUpdates request"))
    assert len(told) == 2


def test_other_polling_errors_are_warnings_and_tell_nobody() -> None:
    time, told = FakeTime(), []
    with capture_logs() as logs:
        watch(time, told)(NetworkError("connection reset"))
    assert told == []
    assert [e["log_level"] for e in logs] == ["warning"]
