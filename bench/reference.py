"""The reference: a small implementation of the common naive approach (not in the product).

It is what a typical ccxt rebalancing script does:

* ccxt's default rate limiting: `enableRateLimit=True` with ccxt kraken's default `rateLimit`
  (1,000 ms) and its per-endpoint costs (public calls 1, private calls 3, AddOrder 0). That
  spaces public calls 1 s apart and private calls 3 s apart ("the extra delay after private
  calls"). ccxt's leaky bucket only refills while a request is queued, so the debt of the
  last call is paid by the next one however long the client sat idle.
* one Ticker request per pair, after one Balance request;
* a float planner (`naive_plan`);
* orders sent one by one with a 1 s pause between them, then fills polled one order at a
  time (`fetch_order` per order), then the balance fetched again for the report.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ccxt.async_support as ccxt

ORDER_PAUSE_S = 1.0
POLL_PAUSE_S = 1.0
MIN_TRADE_VALUE = 10.0
FEE_MARGIN = 0.01  # buys leave 1 % of their value for fees


@dataclass(frozen=True)
class NaiveOrder:
    symbol: str
    side: str  # "buy" or "sell"
    amount: float


@dataclass(frozen=True)
class NaiveReport:
    placed: int
    filled: int
    balances: Mapping[str, float]


def naive_plan(
    holdings: Mapping[str, float],
    prices: Mapping[str, float],
    targets: Mapping[str, float],
    quote: str,
    steps: Mapping[str, float] | None = None,
) -> list[NaiveOrder]:
    """Sells then buys that bring each asset to its target value, in floats.

    Amounts are floored to the lot step (1e-8 when unknown); trades under MIN_TRADE_VALUE are
    dropped; buys keep FEE_MARGIN back. No cost or order minimum, no cash check, no locks.
    """
    total = holdings.get(quote, 0.0) + sum(holdings.get(a, 0.0) * prices[a] for a in targets)
    sells: list[NaiveOrder] = []
    buys: list[NaiveOrder] = []
    for asset, weight in targets.items():
        price = prices[asset]
        diff = total * weight / 100 - holdings.get(asset, 0.0) * price
        if abs(diff) < MIN_TRADE_VALUE:
            continue
        step = (steps or {}).get(asset, 1e-8)
        units = abs(diff) / price * (1 - FEE_MARGIN if diff > 0 else 1)
        amount = math.floor(units / step) * step
        symbol = f"{asset}/{quote}"
        if diff > 0:
            buys.append(NaiveOrder(symbol, "buy", amount))
        else:
            sells.append(NaiveOrder(symbol, "sell", amount))
    return sells + buys


class NaiveBot:
    """The naive approach against one Kraken account (`url` is the API's base URL)."""

    def __init__(
        self,
        url: str,
        api_key: str,
        api_secret: str,
        targets: Mapping[str, float],
        *,
        quote: str = "EUR",
        rate_limited: bool = True,
    ) -> None:
        self.targets = dict(targets)
        self.quote = quote
        self.client: Any = ccxt.kraken(
            {
                "enableRateLimit": rate_limited,  # ccxt's default rateLimit and costs
                "apiKey": api_key,
                "secret": api_secret,
                "urls": {"api": {"public": url, "private": url}},
            }
        )

    async def load_markets(self) -> None:
        await self.client.load_markets()

    async def read(self) -> tuple[dict[str, float], dict[str, float]]:
        """Holdings (free balance) and mid prices: one Balance, then one Ticker per pair."""
        balance = await self.client.fetch_balance()
        holdings = {k: float(v) for k, v in balance["total"].items() if v}
        prices = {}
        for asset in self.targets:
            ticker = await self.client.fetch_ticker(f"{asset}/{self.quote}")
            prices[asset] = (float(ticker["bid"]) + float(ticker["ask"])) / 2
        return holdings, prices

    async def preview(self) -> list[NaiveOrder]:
        holdings, prices = await self.read()
        steps = {a: self._step(f"{a}/{self.quote}") for a in self.targets}
        return naive_plan(holdings, prices, self.targets, self.quote, steps)

    def _step(self, symbol: str) -> float:
        precision = self.client.markets[symbol]["precision"]["amount"]
        return float(precision) if precision else 1e-8

    async def execute(self, orders: Sequence[NaiveOrder]) -> NaiveReport:
        """Send each order with a pause after it, poll each fill, fetch the balance."""
        placed = []
        for i, order in enumerate(orders):
            if i:
                await asyncio.sleep(ORDER_PAUSE_S)
            placed.append(
                await self.client.create_order(order.symbol, "market", order.side, order.amount)
            )
        filled = 0
        for sent in placed:
            filled += await self._poll_fill(str(sent["id"]), order_symbol(sent))
        balance = await self.client.fetch_balance()
        balances = {k: float(v) for k, v in balance["total"].items() if v}
        return NaiveReport(placed=len(placed), filled=filled, balances=balances)

    async def _poll_fill(self, order_id: str, symbol: str | None) -> int:
        """1 once the order is closed, 0 if it ended otherwise; polls while it is open."""
        while True:
            order = await self.client.fetch_order(order_id, symbol)
            if order["status"] != "open":
                return 1 if order["status"] == "closed" else 0
            await asyncio.sleep(POLL_PAUSE_S)

    async def close(self) -> None:
        await self.client.close()


def order_symbol(order: Mapping[str, Any]) -> str | None:
    symbol = order.get("symbol")
    return str(symbol) if symbol else None
