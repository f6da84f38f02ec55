"""The use cases built as `core/bootstrap.py` builds them, on in-memory fakes of their ports.

A `Trader` is one process: a `Rebalancer` on a FakeStore and a FakeExchange, timed by a
FakeClock, waiting (journal retries, order lookups) on FakeTime. The account is the worked
example: BTC 0.5, ETH 2, SOL 20, ADA 1000, no EUR, at 40,000 / 2,500 / 100 / 0.5 EUR, with
targets 40/30/20/10: a plan of one sell (BTC) and three buys. No HTTP, no SQLite, no sleep.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from core.app.api import ExecutionReport
from core.app.execution import Execution
from core.app.lease import LeaseTerms
from core.app.ports import Exchange
from core.app.reading import PlanReader
from core.app.rebalancer import Rebalancer
from core.app.records import JournalEntry, LeaseOwner, PlanRecord
from core.app.repositories import Store
from core.app.run import ExecutionDeps
from core.app.settings import AppSettings
from core.domain.models import PlanSettings
from tests.fakes.clocks import FakeClock, FakeTime
from tests.fakes.exchange import FakeExchange
from tests.fakes.processes import FakeProcesses
from tests.fakes.store import FakeStore
from tests.unit.builders import WORKED_AMOUNTS, WORKED_PRICES, WORKED_TARGETS, decimals, market_data

OWNER, STRANGER = "111", "222"
SETTINGS = AppSettings(
    mode="live", plan=PlanSettings(quote_currency="EUR")
)  # TTL 2 min, cooldown 1 h


@dataclass
class Trader:
    """One process trading the account; `restart()` is the next process on what was committed."""

    settings: AppSettings = SETTINGS
    clock: FakeClock = field(default_factory=FakeClock)
    time: FakeTime = field(default_factory=FakeTime)
    processes: FakeProcesses = field(default_factory=FakeProcesses)
    exchange: FakeExchange = field(
        default_factory=lambda: FakeExchange(decimals(WORKED_AMOUNTS), market_data(WORKED_PRICES))
    )
    store: FakeStore = field(init=False)
    app: Rebalancer = field(init=False)
    process: LeaseOwner = field(init=False)
    terms: LeaseTerms = field(init=False)

    def __post_init__(self) -> None:
        self.store = FakeStore(self.clock)
        self.store.seed_targets_if_empty(decimals(WORKED_TARGETS), self.clock())
        self._open()

    def _open(self) -> None:
        self.process = self.processes.spawn()
        self.terms = LeaseTerms(
            self.process, self.settings.lease_stale_seconds, self.processes.is_dead
        )
        exchange: Exchange = self.exchange  # mypy checks the fakes against the ports
        store: Store = self.store
        self.app = Rebalancer(self.settings, exchange, store, self.clock, self.terms)

    def restart(self, **settings: Any) -> None:
        """This process died; the next starts on what its store had committed."""
        self.processes.kill(self.process)
        self.store = FakeStore(self.clock, self.store.committed)
        self.settings = replace(self.settings, **settings)
        self._open()

    def execution(self, plan_id: str, user_id: str = OWNER) -> Execution:
        """What `Rebalancer.execute` runs after reconciling, waiting on FakeTime."""
        reader = PlanReader(self.exchange, self.store, self.settings, self.clock)
        deps = ExecutionDeps(
            self.exchange,
            self.store,
            self.clock,
            self.settings,
            self.terms,
            reader,
            sleep=self.time.sleep,
        )
        return Execution(deps, plan_id, user_id)

    async def prepared(self, user_id: str = OWNER) -> str:
        return (await self.app.prepare_rebalance(user_id)).plan_id

    async def rebalanced(self) -> ExecutionReport:
        return await self.execution(await self.prepared()).run()

    def plan(self, plan_id: str) -> PlanRecord:
        record = self.store.get_plan(plan_id)
        assert record is not None
        return record

    def journal(self, plan_id: str) -> list[JournalEntry]:
        return self.store.journal_for_plan(plan_id)
