"""Reading the account: balances and market data fetched concurrently, one request each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from core.domain.models import Portfolio
from core.ports import Exchange


async def read_portfolio(exchange: Exchange, assets: Iterable[str], quote: str) -> Portfolio:
    """Balances and quotes for `assets` at once: one balance and one ticker request."""
    wanted = sorted({a for a in assets if a != quote})
    balances, market = await asyncio.gather(
        exchange.balances(), exchange.market_data(wanted, quote)
    )
    return Portfolio(balances=balances, market=market)


def held_assets(portfolio: Portfolio) -> frozenset[str]:
    """Assets with a positive tradable balance."""
    return frozenset(a for a, amount in portfolio.balances.tradable.items() if amount > 0)
