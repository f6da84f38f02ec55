"""Pacing of Kraken's private REST calls: a model of Kraken's call counter, and a gate.

Kraken keeps one counter per API key. Every private call adds its cost (most calls 1;
Ledgers, TradesHistory and QueryLedgers 2; AddOrder and CancelOrder 0, they have their own
trading limiter). The counter decays at a rate fixed by the account's verification tier;
a call that would take it over the tier's maximum is refused with `EAPI:Rate limit exceeded`.

`RestCounter` is pure (time is passed in): it says how long to wait before a call so that
counter + cost stays within the maximum, and books the call at that moment. `PrivateGate`
adds the I/O: it serializes private calls (so nonces reach Kraken in the order they were
made) and sleeps exactly the computed wait, never a fixed delay.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from core.errors import ConfigError


@dataclass(frozen=True)
class Tier:
    """One verification tier's counter: its maximum and how fast it decays."""

    name: str
    max_counter: float
    decay_per_s: float


TIERS: dict[str, Tier] = {
    "starter": Tier("starter", max_counter=15, decay_per_s=0.33),
    "intermediate": Tier("intermediate", max_counter=20, decay_per_s=0.5),
    "pro": Tier("pro", max_counter=20, decay_per_s=1.0),
}

# Waits are lengthened by this much so that rounding never lands a call a hair over the max.
SLACK_S = 0.01

HEAVY_ENDPOINTS = frozenset({"Ledgers", "TradesHistory", "QueryLedgers"})
TRADING_ENDPOINTS = frozenset(
    {"AddOrder", "AddOrderBatch", "AmendOrder", "EditOrder", "CancelOrder", "CancelOrderBatch"}
)


def tier_named(name: str) -> Tier:
    """The tier called `name`; ConfigError naming the valid ones otherwise."""
    tier = TIERS.get(name.strip().lower())
    if tier is None:
        raise ConfigError(f"unknown Kraken tier {name!r}: use one of {', '.join(TIERS)}")
    return tier


def call_cost(endpoint: str) -> int:
    """What one private call to `endpoint` adds to the REST counter."""
    if endpoint in TRADING_ENDPOINTS:
        return 0
    return 2 if endpoint in HEAVY_ENDPOINTS else 1


class RestCounter:
    """The client's estimate of Kraken's REST counter for one key. Pure: time is passed in.

    Calls are booked at the moment they may start, which can be in the future of `now`:
    the counter then models the queue of calls already promised a slot.
    """

    def __init__(self, tier: Tier) -> None:
        self.tier = tier
        self._value = 0.0
        self._at = float("-inf")

    def level(self, now: float) -> float:
        """The counter's value at `now` (never below zero)."""
        elapsed = max(0.0, now - self._at)
        return max(0.0, self._value - elapsed * self.tier.decay_per_s)

    def wait_for(self, cost: float, now: float) -> float:
        """Seconds from `now` until a call costing `cost` keeps the counter within bounds."""
        start = max(now, self._at)
        excess = self.level(start) + min(cost, self.tier.max_counter) - self.tier.max_counter
        delay = excess / self.tier.decay_per_s + SLACK_S if excess > 0 else 0.0
        return start - now + delay

    def reserve(self, cost: float, now: float) -> float:
        """Book a call costing `cost`; return how long to wait before making it."""
        wait = self.wait_for(cost, now)
        start = now + wait
        self._value = self.level(start) + cost
        self._at = start
        return wait

    def saturate(self, now: float) -> None:
        """Kraken said the counter ran over: assume it is full right now."""
        self._value = self.tier.max_counter
        self._at = max(now, self._at)


class PrivateGate:
    """Lets one private call through at a time, each after its computed wait."""

    def __init__(
        self,
        counter: RestCounter,
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[object]],
    ) -> None:
        self.counter = counter
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def slot(self, endpoint: str) -> AsyncIterator[None]:
        """Hold the private-call slot for one request to `endpoint`."""
        async with self._lock:
            wait = self.counter.reserve(call_cost(endpoint), self._clock())
            if wait > 0:
                await self._sleep(wait)
            yield

    def rate_limited(self) -> None:
        """Record that Kraken refused a call for the rate limit."""
        self.counter.saturate(self._clock())
