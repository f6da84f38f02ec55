"""Tiny builders for planner inputs, with Kraken's real rules for the four EUR pairs we use.

The rules come from /work/shared/fixtures/kraken/AssetPairs.json (January 2026):
lot_decimals, pair_decimals, ordermin and costmin of XXBTZEUR, XETHZEUR, SOLEUR and ADAEUR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from core.domain.models import (
    Balances,
    DataSource,
    Market,
    MarketData,
    PlanSettings,
    Portfolio,
    Quote,
)

EUR = "EUR"
NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
TAKER_FEE = Decimal("0.004")

# base -> (Kraken pair id, lot_decimals, pair_decimals, ordermin, costmin)
KRAKEN_EUR_RULES: Mapping[str, tuple[str, int, int, str, str]] = {
    "BTC": ("XXBTZEUR", 8, 1, "0.00005", "0.45"),
    "ETH": ("XETHZEUR", 8, 2, "0.001", "0.45"),
    "SOL": ("SOLEUR", 8, 2, "0.02", "0.45"),
    "ADA": ("ADAEUR", 8, 6, "4.4", "0.45"),
}

# The worked example: 27,500 EUR at 40/30/20/10.
WORKED_AMOUNTS = {"BTC": "0.5", "ETH": "2", "SOL": "20", "ADA": "1000", "EUR": "0"}
WORKED_PRICES = {"BTC": "40000", "ETH": "2500", "SOL": "100", "ADA": "0.5"}
WORKED_TARGETS = {"BTC": "40", "ETH": "30", "SOL": "20", "ADA": "10"}


def d(value: str | int | Decimal) -> Decimal:
    return Decimal(value)


def decimals(values: Mapping[str, str | int | Decimal]) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in values.items()}


def market(base: str, quote: str = EUR, **changes: Any) -> Market:
    """The Kraken market `base`/`quote` with the real rules when known, generic ones otherwise."""
    pair, lot, pair_decimals, order_min, cost_min = KRAKEN_EUR_RULES.get(
        base, (f"{base}{quote}", 8, 2, "0", "0.45")
    )
    built = Market(
        symbol=f"{base}/{quote}",
        base=base,
        quote=quote,
        exchange_id=pair,
        amount_decimals=lot,
        price_decimals=pair_decimals,
        order_min=Decimal(order_min),
        cost_min=Decimal(cost_min),
        taker_fee=TAKER_FEE,
    )
    return replace(built, **changes)


def quote(base: str, price: str | Decimal, spread: str | Decimal = "0", cur: str = EUR) -> Quote:
    """A quote around `price`; `spread` is the whole bid-ask gap in quote units."""
    mid, half = Decimal(price), Decimal(spread) / 2
    return Quote(f"{base}/{cur}", bid=mid - half, ask=mid + half)


def market_data(
    prices: Mapping[str, str | Decimal],
    *,
    markets: Mapping[str, Market] | None = None,
    quotes: Mapping[str, Quote] | None = None,
    blocked: Mapping[str, str] | None = None,
    cur: str = EUR,
) -> MarketData:
    """Markets and zero-spread quotes for every asset in `prices`, with overrides."""
    built_markets = {a: market(a, cur) for a in prices} | dict(markets or {})
    built_quotes = {a: quote(a, p, cur=cur) for a, p in prices.items()} | dict(quotes or {})
    return MarketData(
        quote_currency=cur,
        markets=built_markets,
        quotes=built_quotes,
        source=DataSource("snapshot", NOW, "test prices"),
        blocked=dict(blocked or {}),
    )


def portfolio(
    amounts: Mapping[str, str | Decimal],
    prices: Mapping[str, str | Decimal],
    **market_changes: Any,
) -> Portfolio:
    """A portfolio holding `amounts`, priced by `prices` (see `market_data` for overrides)."""
    data = market_data(prices, **market_changes)
    return Portfolio(Balances(decimals(amounts)), data)


def worked_portfolio() -> Portfolio:
    return portfolio(WORKED_AMOUNTS, WORKED_PRICES)


def plan_settings(**changes: Any) -> PlanSettings:
    """Settings in EUR with the defaults of the issue; override any field by keyword."""
    return replace(PlanSettings(quote_currency=EUR), **changes)
