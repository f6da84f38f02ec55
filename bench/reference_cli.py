"""`python -m bench.reference_cli`: the naive script's paper-mode preview, as a process.

The reference for the CLI row: what a ccxt-based script does to print a paper preview from
the bundled snapshot. It imports ccxt up front (as such a script does), reads the same two
snapshot files the product ships, plans with `bench.reference.naive_plan` and prints the
orders. Holdings and targets are the product's defaults (PAPER_BALANCES, TARGET_WEIGHTS).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt

from bench.reference import NaiveOrder, naive_plan

SNAPSHOT = Path(__file__).resolve().parent.parent / "core" / "exchange" / "snapshot"
QUOTE = "EUR"
HOLDINGS = {"BTC": 0.5, "ETH": 2.0, "SOL": 20.0, "ADA": 1000.0}
TARGETS = {"BTC": 40.0, "ETH": 30.0, "SOL": 20.0, "ADA": 10.0}
KRAKEN_CODES = {"XBT": "BTC", "XDG": "DOGE"}


def snapshot_prices() -> tuple[dict[str, float], dict[str, float]]:
    """Mid prices and lot steps of the target assets' EUR pairs, from the snapshot files."""
    pairs: dict[str, Any] = json.loads((SNAPSHOT / "AssetPairs.json").read_text())["result"]
    tickers: dict[str, Any] = json.loads((SNAPSHOT / "tickers.json").read_text())["tickers"]
    prices, steps = {}, {}
    for pair_id, info in pairs.items():
        base, _, quote = str(info.get("wsname", "")).partition("/")
        asset = KRAKEN_CODES.get(base, base)
        if quote == QUOTE and asset in TARGETS and pair_id in tickers:
            ticker = tickers[pair_id]
            prices[asset] = (float(ticker["bid"]) + float(ticker["ask"])) / 2
            steps[asset] = 10.0 ** -int(info["lot_decimals"])
    return prices, steps


def render(orders: list[NaiveOrder], prices: dict[str, float]) -> str:
    lines = ["Paper preview (snapshot)", ""]
    for o in orders:
        asset = o.symbol.split("/")[0]
        value = o.amount * prices[asset]
        lines.append(f"{o.side.upper():<5} {asset:<6} {o.amount:>16.8f} {value:>12.2f} {QUOTE}")
    return "\n".join(lines)


async def main() -> None:
    exchange = ccxt.kraken()  # paper mode: a client without keys, never asked for anything
    try:
        prices, steps = snapshot_prices()
        holdings = {**HOLDINGS, QUOTE: 0.0}
        print(render(naive_plan(holdings, prices, TARGETS, QUOTE, steps), prices))
    finally:
        await exchange.close()


if __name__ == "__main__":
    asyncio.run(main())
