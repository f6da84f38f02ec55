"""In-memory fakes of the positions use cases' ports: the ledger's store, readings, an exchange
that knows which assets are tradable. For unit tests of `core.app.positions`."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from core.app.reading import Reading
from core.app.records import (
    FillRecord,
    JournalEntry,
    LockInfo,
    PlanBasis,
    PlanRecord,
    RunRecord,
)
from core.domain.lots import Adjustment, AdjustmentKind
from core.domain.models import Balances, Plan, Portfolio
from core.domain.planner import make_plan
from core.domain.series import ValueSample
from tests.unit.builders import market_data, plan_settings


@dataclass
class _State:
    fills: list[FillRecord] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    samples: list[tuple[str, str, ValueSample]] = field(default_factory=list)


class FakeLedgerStore:
    """Fills, adjustments and samples in lists; a unit of work keeps a copy to roll back to."""

    def __init__(self) -> None:
        self.state = _State()
        self.unresolved: list[JournalEntry] = []
        self.running: list[RunRecord] = []
        self.superseding: RunRecord | None = None
        self.first_plan: PlanRecord | None = None

    @contextmanager
    def unit_of_work(self) -> Iterator[FakeUnit]:
        unit = FakeUnit()
        saved = copy.deepcopy(self.state)
        yield unit
        if not unit.committed:
            self.state = saved

    def record_fill(self, fill: FillRecord) -> bool:
        self.state.fills.append(fill)
        return True

    def fills(self, symbol: str | None = None, mode: str | None = None) -> list[FillRecord]:
        found = [f for f in self.state.fills if mode in (None, f.mode)]
        return sorted(found, key=lambda f: f.filled_at)

    def lot_adjustments(self, mode: str) -> list[Adjustment]:
        return [a for a in self.state.adjustments if a.mode == mode]

    def add_lot_adjustments(self, adjustments: Sequence[Adjustment], now: datetime) -> None:
        self.state.adjustments += adjustments

    def state_opening_price(self, mode: str, asset: str, price: Decimal) -> int:
        def hit(a: Adjustment) -> bool:
            return a.mode == mode and a.asset == asset and a.kind is AdjustmentKind.OPENING

        changed = sum(1 for a in self.state.adjustments if hit(a))
        self.state.adjustments = [
            replace(a, price=price, estimated=False) if hit(a) else a
            for a in self.state.adjustments
        ]
        return changed

    def value_samples(self, mode: str, quote: str) -> list[ValueSample]:
        found = [s for m, q, s in self.state.samples if (m, q) == (mode, quote)]
        return sorted(found, key=lambda s: s.time)

    def last_value_sample_at(self, mode: str) -> datetime | None:
        return max((s.time for m, _, s in self.state.samples if m == mode), default=None)

    def add_value_sample(self, mode: str, quote: str, sample: ValueSample) -> None:
        self.state.samples.append((mode, quote, sample))

    def earliest_plan(self, mode: str) -> PlanRecord | None:
        return self.first_plan

    def journal_unresolved(self, mode: str | None = None) -> list[JournalEntry]:
        return list(self.unresolved)

    def unfinished_runs(self, mode: str | None = None) -> list[RunRecord]:
        return list(self.running)

    def superseding_run(self, runs_seen: int, mode: str) -> RunRecord | None:
        return self.superseding


class FakeUnit:
    def __init__(self) -> None:
        self.committed = False

    def commit(self) -> None:
        self.committed = True


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
