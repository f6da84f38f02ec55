"""The command mix of the benchmark's memory row (pure: no servers, no bot)."""

from __future__ import annotations

from bench.rows_memory import ROTATION, TARGETS, command


def test_every_hundred_commands_ask_for_four_charts_and_end_in_a_due_rebalance() -> None:
    first = [command(i) for i in range(100)]
    second = [command(i) for i in range(100, 200)]

    assert first.count("/check") == first.count("/stats") == 2
    assert first[-2:] == [TARGETS[0], "/rebalance"]
    assert second[-2:] == [TARGETS[1], "/rebalance"]  # the targets alternate: always due


def test_the_other_commands_of_the_memory_mix_take_turns() -> None:
    others = {command(i) for i in range(5_000)} - {"/check", "/stats", "/rebalance", *TARGETS}

    assert others == set(ROTATION)
