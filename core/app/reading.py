"""Reading the account into a plan: the one code path from balances and prices to a plan.

`PlanReader.read()` takes the store's targets and locks as one view (with the moment the
reading started, before any exchange request), then balances and market data concurrently,
one request each. `plan_of()` turns any portfolio into a plan under those targets and locks:
a preview's, and the drift a run leaves, computed from the fills without reading again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from core.app.ports import Exchange
from core.app.records import PlanBasis
from core.app.repositories import Store
from core.app.settings import AppSettings
from core.domain.models import MarketData, Plan, Portfolio
from core.domain.planner import make_plan

HELD_KEY = "held_assets"


@dataclass(frozen=True)
class Reading:
    basis: PlanBasis  # the targets, locks, their version and the run watermark
    read_at: datetime  # taken before the balances and prices were read
    plan: Plan


class PlanReader:
    def __init__(
        self,
        exchange: Exchange,
        store: Store,
        settings: AppSettings,
        clock: Callable[[], datetime],
    ) -> None:
        self.exchange, self.store, self.settings, self.clock = exchange, store, settings, clock

    async def read(self) -> Reading:
        read_at = self.clock()
        basis = self.store.plan_basis(self.settings.mode)
        assets = set(basis.targets) | _locked(basis) | self._remembered_holdings()
        portfolio = await read_portfolio(self.exchange, assets, self.settings.quote)
        self._remember_holdings(held_assets(portfolio))
        return Reading(basis, read_at, self.plan_of(portfolio, basis))

    def plan_of(self, portfolio: Portfolio, basis: PlanBasis) -> Plan:
        """The plan for `portfolio` under the targets and locks of `basis`."""
        return make_plan(portfolio, basis.targets, _locked(basis), self.settings.plan, self.clock())

    def _remembered_holdings(self) -> frozenset[str]:
        """Assets held last time, so unmanaged holdings get priced in the same request."""
        text = self.store.kv_get(HELD_KEY) or ""
        return frozenset(a for a in text.split(",") if a)

    def _remember_holdings(self, held: frozenset[str]) -> None:
        if held != self._remembered_holdings():
            self.store.kv_set(HELD_KEY, ",".join(sorted(held)), self.clock())


def _locked(basis: PlanBasis) -> frozenset[str]:
    return frozenset(lock.symbol for lock in basis.locks)


async def read_portfolio(exchange: Exchange, assets: Iterable[str], quote: str) -> Portfolio:
    """Balances and quotes for `assets` at once: one balance and one ticker request.

    Holdings outside `assets` (new to the caller) are priced with one more ticker request,
    so they are valued from the first look; callers remember holdings to avoid it next time.
    """
    wanted = sorted({a for a in assets if a != quote})
    balances, market = await asyncio.gather(
        exchange.balances(), exchange.market_data(wanted, quote)
    )
    portfolio = Portfolio(balances=balances, market=market)
    unpriced = sorted(held_assets(portfolio) - set(wanted) - {quote})
    if unpriced:
        extra = await exchange.market_data(unpriced, quote)
        portfolio = Portfolio(balances=balances, market=merged(market, extra))
    return portfolio


def merged(first: MarketData, extra: MarketData) -> MarketData:
    """Two reads of market data as one (the first one's source and time)."""
    return MarketData(
        quote_currency=first.quote_currency,
        markets={**first.markets, **extra.markets},
        quotes={**first.quotes, **extra.quotes},
        source=first.source,
        blocked={**first.blocked, **extra.blocked},
    )


def held_assets(portfolio: Portfolio) -> frozenset[str]:
    """Assets with a positive tradable balance."""
    return frozenset(a for a, amount in portfolio.balances.tradable.items() if amount > 0)
