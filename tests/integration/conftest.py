"""Execution fixtures: a `Rebalancer` built by hand on a real database of the test's own
(`db_url`: a SQLite file in `tmp_path`, or a PostgreSQL database in tests marked
`both_engines`, see tests/conftest.py).

Live mode drives the real ccxt client (inside `KrakenExchange`) over HTTP against a
`FakeKraken` on 127.0.0.1; paper mode runs `PaperExchange` on the same store, priced by the
bundled snapshot or, like `PAPER_MARKET_DATA=auto`, by the fake's public Ticker.

Nothing sleeps on the wall clock for time to pass: the Rebalancer's clock is a `FakeClock`
the test moves, and the Kraken adapter's pacing and retry waits run on `FakeTime`.
`Account.restart()` is a process restart: a new Store, exchange and Rebalancer on the same
database and the same fake Kraken (the old ones are dropped as they are).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from core.app.lease import LeaseTerms
from core.app.ports import Exchange
from core.app.rebalancer import Rebalancer
from core.app.records import JournalEntry, LeaseOwner
from core.app.settings import AppSettings
from core.domain.models import PlanSettings
from core.exchange.kraken import KrakenExchange
from core.exchange.paper import PaperExchange
from core.specs import parse_amount_spec, parse_weight_spec
from core.store.db import make_engine
from core.store.repo import Store
from tests.fakes.clocks import FakeClock, FakeTime
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken
from tests.fakes.processes import FakeProcesses

OWNER = "111"
FRIEND = "222"
TARGETS = parse_weight_spec("BTC=40,ETH=30,SOL=20,ADA=10")
PAPER_SEED = parse_amount_spec("BTC=0.5,ETH=2,SOL=20,ADA=1000")
SETTINGS = AppSettings(
    mode="live",
    plan=PlanSettings(quote_currency="EUR"),
    confirm_ttl_seconds=120,
    cooldown_minutes=60,
    price_tolerance_pct=Decimal(1),
    lease_stale_seconds=300,
)


@dataclass
class Account:
    """One exchange account and the database of the process that trades it."""

    mode: str  # "live" | "paper" | "paper-priced" (paper priced by the fake's Ticker)
    url: str
    clock: FakeClock
    kraken: FakeKraken | None
    settings: AppSettings = SETTINGS
    timeout_s: float = 2
    time: FakeTime = field(default_factory=FakeTime)
    processes: FakeProcesses = field(default_factory=FakeProcesses)
    busy_timeout_ms: int = 5000  # how long a write waits for another connection's lock
    process: LeaseOwner | None = None  # this "process"'s identity for leases, once open
    _app: Rebalancer | None = None
    _source: KrakenExchange | None = None  # paper-priced: the public client PaperExchange uses

    @property
    def app(self) -> Rebalancer:
        if self._app is None:
            raise RuntimeError("the account is not open")
        return self._app

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def fake(self) -> FakeKraken:
        if self.kraken is None:
            raise RuntimeError(f"{self.mode} mode has no fake Kraken")
        return self.kraken

    def open(self) -> Rebalancer:
        """Build the Rebalancer as `open_rebalancer` does, without reconciling: a new
        process lifetime (leases are timed by the database's clock, as in production)."""
        store = Store(make_engine(self.url, busy_timeout_ms=self.busy_timeout_ms))
        store.seed_targets_if_empty(TARGETS, self.clock())
        mode = "live" if self.mode == "live" else "paper"
        settings = replace(self.settings, mode=mode)
        self.process = self.processes.spawn()
        terms = LeaseTerms(self.process, settings.lease_stale_seconds, self.processes.is_dead)
        self._app = Rebalancer(settings, self._exchange(store), store, self.clock, terms)
        return self._app

    async def restart(self) -> Rebalancer:
        """A new process on the same database and fake Kraken (with the current knobs); the
        old one died (a restart on the same host: its leases are recognised as dead)."""
        await self.close()
        return self.open()

    def sibling(self) -> Account:
        """Another live process on the same host, database and fake Kraken (e.g. the CLI
        beside the bot)."""
        other = Account(
            self.mode, self.url, self.clock, self.kraken, self.settings, processes=self.processes
        )
        other.open()
        return other

    async def close(self) -> None:
        if self._source is not None:
            await self._source.close()
            self._source = None
        if self.process is not None:
            self.processes.kill(self.process)
        if self._app is not None:
            await self._app.exchange.close()
            self._app.store.close()
            self._app = None

    def kraken_client(self, *, with_keys: bool = True) -> KrakenExchange:
        """Another KrakenExchange on the fake (e.g. for an order a dead process placed)."""
        return KrakenExchange(
            api_url=self.fake.url,
            api_key=TEST_API_KEY if with_keys else None,
            api_secret=TEST_API_SECRET if with_keys else None,
            timeout_s=self.timeout_s,
            clock=self.time.clock,
            sleep=self.time.sleep,
        )

    def _exchange(self, store: Store) -> Exchange:
        if self.mode == "live":
            return self.kraken_client()
        if self.mode == "paper-priced":
            self._source = self.kraken_client(with_keys=False)
        return PaperExchange(
            book=store,
            seed=PAPER_SEED,
            market_source=self._source,
            now=self.clock,
            rng=random.Random(7),
        )

    # -- what the exchange holds ------------------------------------------------------------

    def placed(self) -> list[str]:
        """Client order ids of every order the exchange accepted (live: oldest first)."""
        if self.mode == "live":
            return [o.cl_ord_id or "" for o in self.fake.orders]
        return [o.client_id or "" for o in self.store.paper_orders()]

    async def holdings(self) -> dict[str, Decimal]:
        """The account's tradable balances as the exchange reports them."""
        return dict((await self.app.exchange.balances()).tradable)

    def journal(self, plan_id: str) -> list[JournalEntry]:
        return self.store.journal_for_plan(plan_id)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    """The fake's default account (BTC 0.5, ETH 2, SOL 20, ADA 1000, EUR 0): 33 % off target."""
    async with FakeKraken(seed=11) as server:
        yield server


async def _account(
    mode: str, db_url: str, clock: FakeClock, kraken: FakeKraken | None
) -> AsyncIterator[Account]:
    account = Account(mode, db_url, clock, kraken)
    account.open()
    try:
        yield account
    finally:
        await account.close()


@pytest.fixture
async def live(db_url: str, clock: FakeClock, kraken: FakeKraken) -> AsyncIterator[Account]:
    """Live mode: real ccxt against the fake Kraken."""
    async for account in _account("live", db_url, clock, kraken):
        yield account


@pytest.fixture
async def paper(db_url: str, clock: FakeClock) -> AsyncIterator[Account]:
    """Paper mode on the bundled market snapshot (no network at all)."""
    async for account in _account("paper", db_url, clock, None):
        yield account


@pytest.fixture(params=["live", "paper-priced"])
async def account(
    request: pytest.FixtureRequest, db_url: str, clock: FakeClock, kraken: FakeKraken
) -> AsyncIterator[Account]:
    """Each mode in turn; paper is priced by the fake's public Ticker, so prices can move."""
    async for each in _account(request.param, db_url, clock, kraken):
        yield each
