"""Kraken's REST counter model and the private-call gate: waits are computed, not slept."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import ConfigError
from core.exchange.pacing import (
    SLACK_S,
    TIERS,
    PrivateGate,
    RestCounter,
    call_cost,
    tier_named,
)
from tests.fakes.clocks import FakeTime


@pytest.mark.parametrize(
    ("name", "max_counter", "decay"),
    [("starter", 15, 0.33), ("intermediate", 20, 0.5), ("pro", 20, 1.0)],
)
def test_each_tier_has_krakens_published_maximum_and_decay(
    name: str, max_counter: float, decay: float
) -> None:
    tier = tier_named(name)
    assert (tier.max_counter, tier.decay_per_s) == (max_counter, decay)


def test_an_unknown_tier_is_a_config_error_that_names_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match="starter, intermediate, pro"):
        tier_named("platinum")


def test_tier_names_ignore_case_and_spaces() -> None:
    assert tier_named(" Pro ") is TIERS["pro"]


@pytest.mark.parametrize(
    ("endpoint", "cost"),
    [
        ("Balance", 1),
        ("BalanceEx", 1),
        ("QueryOrders", 1),
        ("ClosedOrders", 1),
        ("TradeVolume", 1),
        ("Ledgers", 2),
        ("TradesHistory", 2),
        ("QueryLedgers", 2),
        ("AddOrder", 0),
        ("CancelOrder", 0),
    ],
)
def test_private_calls_cost_what_kraken_charges(endpoint: str, cost: int) -> None:
    assert call_cost(endpoint) == cost


def test_a_fresh_counter_lets_a_full_burst_through_without_waiting() -> None:
    counter = RestCounter(TIERS["starter"])
    waits = [counter.reserve(1, now=0.0) for _ in range(15)]
    assert waits == [0.0] * 15
    assert counter.level(0.0) == 15


def test_the_call_after_a_full_burst_waits_until_one_unit_has_decayed() -> None:
    counter = RestCounter(TIERS["starter"])
    for _ in range(15):
        counter.reserve(1, now=0.0)
    assert counter.reserve(1, now=0.0) == pytest.approx(1 / 0.33 + SLACK_S)


def test_a_heavy_call_waits_for_two_units_to_decay() -> None:
    counter = RestCounter(TIERS["intermediate"])
    for _ in range(20):
        counter.reserve(1, now=0.0)
    assert counter.wait_for(2, now=0.0) == pytest.approx(2 / 0.5 + SLACK_S)


def test_the_counter_decays_with_time_and_never_goes_below_zero() -> None:
    counter = RestCounter(TIERS["pro"])
    for _ in range(10):
        counter.reserve(1, now=0.0)
    assert counter.level(4.0) == pytest.approx(6)
    assert counter.level(100.0) == 0


def test_time_already_passed_counts_towards_the_wait() -> None:
    counter = RestCounter(TIERS["pro"])
    for _ in range(20):
        counter.reserve(1, now=0.0)
    assert counter.wait_for(1, now=0.4) == pytest.approx(0.6 + SLACK_S)


def test_calls_queued_ahead_are_booked_in_the_future() -> None:
    counter = RestCounter(TIERS["pro"])
    for _ in range(20):
        counter.reserve(1, now=0.0)
    first = counter.reserve(1, now=0.0)
    second = counter.reserve(1, now=0.0)
    assert first == pytest.approx(1 + SLACK_S)
    assert second == pytest.approx(2 + SLACK_S)


def test_trading_calls_cost_nothing_and_never_wait() -> None:
    counter = RestCounter(TIERS["starter"])
    for _ in range(15):
        counter.reserve(1, now=0.0)
    assert counter.reserve(call_cost("AddOrder"), now=0.0) == 0.0


def test_a_rate_limit_answer_fills_the_counter() -> None:
    counter = RestCounter(TIERS["starter"])
    counter.saturate(now=5.0)
    assert counter.wait_for(1, now=5.0) == pytest.approx(1 / 0.33 + SLACK_S)


async def test_the_gate_sleeps_exactly_the_computed_wait() -> None:
    time = FakeTime()
    gate = PrivateGate(RestCounter(TIERS["pro"]), clock=time.clock, sleep=time.sleep)
    for _ in range(21):
        async with gate.slot("BalanceEx"):
            pass
    assert time.slept == [pytest.approx(1 + SLACK_S)]


async def test_the_gate_does_not_sleep_while_the_counter_has_room() -> None:
    time = FakeTime()
    gate = PrivateGate(RestCounter(TIERS["starter"]), clock=time.clock, sleep=time.sleep)
    for endpoint in ("BalanceEx", "TradeVolume", "AddOrder", "QueryOrders"):
        async with gate.slot(endpoint):
            pass
    assert time.slept == []


async def test_the_gate_lets_one_private_call_through_at_a_time() -> None:
    time = FakeTime()
    gate = PrivateGate(RestCounter(TIERS["starter"]), clock=time.clock, sleep=time.sleep)
    inside = 0
    most_inside = 0

    async def call() -> None:
        nonlocal inside, most_inside
        async with gate.slot("BalanceEx"):
            inside += 1
            most_inside = max(most_inside, inside)
            await asyncio.sleep(0)
            inside -= 1

    await asyncio.gather(*(call() for _ in range(5)))
    assert most_inside == 1


async def test_the_gate_keeps_the_order_in_which_calls_arrived() -> None:
    time = FakeTime()
    gate = PrivateGate(RestCounter(TIERS["starter"]), clock=time.clock, sleep=time.sleep)
    order: list[int] = []

    async def call(n: int) -> None:
        async with gate.slot("BalanceEx"):
            await asyncio.sleep(0)
            order.append(n)

    await asyncio.gather(*(call(n) for n in range(5)))
    assert order == [0, 1, 2, 3, 4]


async def test_after_a_rate_limit_the_next_call_waits_for_a_unit_to_decay() -> None:
    time = FakeTime()
    gate = PrivateGate(RestCounter(TIERS["intermediate"]), clock=time.clock, sleep=time.sleep)
    gate.rate_limited()
    async with gate.slot("OpenOrders"):
        pass
    assert time.slept == [pytest.approx(2 + SLACK_S)]
