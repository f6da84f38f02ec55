"""Fake time for the code that takes a clock and a sleep as parameters."""

from __future__ import annotations

import asyncio


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
