"""The portfolios the rows measure, and the settings and server state that go with them.

Every portfolio holds `n` assets at equal target weights, alternately 30 % above and 30 %
below their target value, plus a little cash: a rebalance is due and has both sells and buys,
one order per asset. Four assets are Kraken's real BTC, ETH, SOL and ADA EUR pairs; larger
portfolios use the fake's synthetic markets `S0001`, `S0002`, ... .
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from bench.reference import NaiveBot
from bench.servers import KrakenServer
from core.config import Settings
from core.domain.models import Balances, DataSource, Market, MarketData, Portfolio, Quote

QUOTE = "EUR"
USER = "bench"
LATENCY_S = 0.05  # injected by the fake Kraken before it handles each request
TIER = "starter"  # Kraken's Starter REST counter: max 15, decays 0.33 per second
TARGET_VALUE = Decimal(1000)  # quote units per asset at target
DRIFT_BAND_PCT = Decimal(1)  # percentage points; 30 % off a 4 % target is 1.2 pp
REAL_PRICES: Mapping[str, Decimal] = {
    "BTC": Decimal(40000),
    "ETH": Decimal(2500),
    "SOL": Decimal(100),
    "ADA": Decimal("0.5"),
}
KRAKEN_IDS: Mapping[str, str] = {"BTC": "XXBT", "ETH": "XETH", "EUR": "ZEUR"}
LOT = Decimal("0.00000001")
TAKER_FEE = Decimal("0.004")


@dataclass(frozen=True)
class Scenario:
    """One portfolio: its assets, their prices and the holdings (cash under QUOTE)."""

    assets: tuple[str, ...]
    prices: Mapping[str, Decimal]
    holdings: Mapping[str, Decimal]
    synthetic: bool

    @property
    def targets(self) -> dict[str, Decimal]:
        """Equal weights in percent (exact for 4, 10, 25, 100 and 1,000 assets)."""
        weight = Decimal(100) / len(self.assets)
        return dict.fromkeys(self.assets, weight)

    def floats(self) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        """Holdings, prices and targets as floats, for the reference."""
        return (
            {a: float(v) for a, v in self.holdings.items()},
            {a: float(v) for a, v in self.prices.items()},
            {a: float(v) for a, v in self.targets.items()},
        )


def scenario(n: int, *, synthetic: bool | None = None) -> Scenario:
    """`n` assets, alternately 30 % over and under target; real pairs for n = 4 by default."""
    synthetic = n != len(REAL_PRICES) if synthetic is None else synthetic
    if synthetic:
        prices = {f"S{i + 1:04d}": Decimal("1.5") + i for i in range(n)}
    else:
        prices = dict(list(REAL_PRICES.items())[:n])
    holdings = {
        asset: (TARGET_VALUE * Decimal("1.3" if i % 2 == 0 else "0.7") / price).quantize(
            LOT, ROUND_DOWN
        )
        for i, (asset, price) in enumerate(prices.items())
    }
    holdings[QUOTE] = Decimal(20) * n
    return Scenario(tuple(prices), prices, holdings, synthetic)


def kraken_id(asset: str) -> str:
    return KRAKEN_IDS.get(asset, asset)


async def set_up_kraken(kraken: KrakenServer, sc: Scenario) -> None:
    """Prices and balances as the scenario says, and a REST counter starting from zero."""
    for asset in sc.assets:
        await kraken.set_price(asset, QUOTE, str(sc.prices[asset]), synthetic=sc.synthetic)
    await kraken.set_balances({kraken_id(a): str(v) for a, v in sc.holdings.items()})
    await kraken.reset_counter(TIER)


@asynccontextmanager
async def naive_bot(
    kraken: KrakenServer, sc: Scenario, *, rate_limited: bool = True
) -> AsyncIterator[NaiveBot]:
    """The reference, aimed at the fake Kraken with the scenario's targets; closed on exit."""
    _, _, targets = sc.floats()
    bot = NaiveBot(
        kraken.url, kraken.api_key, kraken.api_secret, targets, rate_limited=rate_limited
    )
    try:
        yield bot
    finally:
        await bot.close()


def live_settings(kraken: KrakenServer, sc: Scenario, database: Path, **changes: Any) -> Settings:
    """Live mode against the fake Kraken, one fresh SQLite file, no cooldown."""
    values: dict[str, Any] = {
        "_env_file": None,
        "trading_mode": "live",
        "kraken_api_url": kraken.url,
        "kraken_api_key": kraken.api_key,
        "kraken_api_secret": kraken.api_secret,
        "kraken_tier": TIER,
        "quote_currency": QUOTE,
        "target_weights": sc.targets,
        "drift_band_pct": DRIFT_BAND_PCT,
        "database_url": f"sqlite:///{database}",
        "rebalance_cooldown_minutes": 0,
        "log_format": "json",
    }
    return Settings(**(values | changes))


def domain_portfolio(sc: Scenario) -> Portfolio:
    """The scenario as the planner's input: generic market rules, a 0.1 % spread."""
    markets = {a: _market(a) for a in sc.assets}
    quotes = {
        a: Quote(f"{a}/{QUOTE}", bid=p * Decimal("0.9995"), ask=p * Decimal("1.0005"))
        for a, p in sc.prices.items()
    }
    source = DataSource("bench", datetime(2026, 1, 12, tzinfo=UTC))
    return Portfolio(Balances(dict(sc.holdings)), MarketData(QUOTE, markets, quotes, source))


def _market(asset: str) -> Market:
    return Market(
        symbol=f"{asset}/{QUOTE}",
        base=asset,
        quote=QUOTE,
        exchange_id=f"{asset}{QUOTE}",
        amount_decimals=8,
        price_decimals=4,
        order_min=Decimal("0.01"),
        cost_min=Decimal("0.45"),
        taker_fee=TAKER_FEE,
    )
