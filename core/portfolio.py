"""Reading the account: balances and market data fetched concurrently, one request each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from core.domain.models import MarketData, Portfolio
from core.ports import Exchange


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
