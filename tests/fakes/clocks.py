"""Fake time for the code that takes a clock and a sleep as parameters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)


class FakeClock:
    """An application's wall clock (what bootstrap's `clock` is): stands still until the test
    moves it, so expiry, cooldowns and leases are tested without sleeping."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it; sleeps are recorded."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)
