"""Kraken's spot *trading* rate counter (the matching engine's, apart from the REST counter).

From Kraken's "Spot Trading Limits" guide: one counter per account and pair, enforced across
REST, WebSocket and FIX alike. AddOrder adds 1; AmendOrder adds 1 plus 3 / 2 / 1 when the
order has rested less than 5 / 10 / 15 s since it was placed or last amended; CancelOrder adds
8 / 6 / 5 / 4 / 2 / 1 under 5 / 10 / 15 / 45 / 90 / 300 s. The counter decays by 1, 2.34 or
3.75 per second (Starter, Intermediate, Pro) and a transaction that would take it past 60,
125 or 180 is refused with ``EOrder:Rate limit exceeded`` (and not counted). The fake applies
it only when a tier is set, like the REST counter (:class:`.faults.RateCounter`).
"""

from __future__ import annotations

from collections.abc import Callable

from .util import KrakenError

ORDER_RATE_LIMIT = "EOrder:Rate limit exceeded"

TRADING_TIERS: dict[str, tuple[float, float]] = {
    # tier: (threshold, decay per second)
    "starter": (60, 1.0),
    "intermediate": (125, 2.34),
    "pro": (180, 3.75),
}
AMEND_PENALTY = ((5, 3), (10, 2), (15, 1))  # (rested under N seconds, extra count)
CANCEL_PENALTY = ((5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1))


def penalty(schedule: tuple[tuple[int, int], ...], age: float) -> int:
    return next((extra for under, extra in schedule if age < under), 0)


def add_cost() -> float:
    return 1.0


def amend_cost(age: float) -> float:
    return 1.0 + penalty(AMEND_PENALTY, age)


def cancel_cost(age: float) -> float:
    return float(penalty(CANCEL_PENALTY, age))


class TradingCounter:
    """Per-pair trading counter for the one account behind the fake."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.tier: str | None = None
        self._levels: dict[str, tuple[float, float]] = {}

    def reset(self, tier: str | None) -> None:
        self.tier = tier
        self._levels = {}

    def level(self, pair_id: str) -> float:
        if self.tier is None:
            return 0.0
        value, at = self._levels.get(pair_id, (0.0, self.clock()))
        return max(0.0, value - (self.clock() - at) * TRADING_TIERS[self.tier][1])

    def charge(self, pair_id: str, cost: float) -> None:
        """Count ``cost`` on the pair, or raise ``EOrder:Rate limit exceeded``."""
        if self.tier is None or cost <= 0:
            return
        level = self.level(pair_id)
        if level + cost > TRADING_TIERS[self.tier][0]:
            raise KrakenError(ORDER_RATE_LIMIT)
        self._levels[pair_id] = (level + cost, self.clock())
