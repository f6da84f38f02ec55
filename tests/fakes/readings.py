"""In-memory fakes of the positions use cases' other ports (their store is
tests/fakes/store.py's FakeStore): readings, an exchange that knows which assets are tradable.
For unit tests of `core.app.positions`."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from core.app.reading import Reading
from core.app.records import (
    LockInfo,
    PlanBasis,
)
from core.domain.models import Balances, Plan, Portfolio
from core.domain.planner import make_plan
from tests.unit.builders import market_data, plan_settings


class FakeReadings:
    """Readings of an account the test sets: balances, prices, locks, at a moment."""

    def __init__(self, clock: object) -> None:
        self.clock = clock
        self.balances: dict[str, Decimal] = {}
        self.prices: dict[str, str] = {}
        self.locks: tuple[LockInfo, ...] = ()
        self.reads = 0

    def hold(self, amounts: Mapping[str, str], prices: Mapping[str, str]) -> None:
        self.balances = {a: Decimal(v) for a, v in amounts.items()}
        self.prices = dict(prices)

    def plan(self) -> Plan:
        now = self.clock()  # type: ignore[operator]
        portfolio = Portfolio(Balances(self.balances), market_data(self.prices))
        targets = {a: Decimal(100) / len(self.prices) for a in self.prices}
        locked = frozenset(lock.symbol for lock in self.locks)
        return make_plan(portfolio, targets, locked, plan_settings(), now)

    async def read(self) -> Reading:
        self.reads += 1
        basis = PlanBasis(runs_seen=0, config_version=1, targets={}, locks=self.locks)
        return Reading(basis, self.clock(), self.plan())  # type: ignore[operator]


class FakeTradable:
    """The one Exchange method `set_basis` asks: which assets trade against the quote."""

    def __init__(self, assets: frozenset[str]) -> None:
        self.assets = assets

    async def tradable_assets(self, quote: str) -> frozenset[str]:
        return self.assets
