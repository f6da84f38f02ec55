"""The bundled market snapshot, shipped as package data beside this module.

`AssetPairs.json` is Kraken's recorded `GET /0/public/AssetPairs` response of 2026-01-12 (a
subset of its pairs, values unchanged): the market rules. `tickers.json` holds prices for the
EUR pairs that are illustrative round numbers set by hand (the worked example's BTC 40,000 /
ETH 2,500 / SOL 100 / ADA 0.5 EUR as mids, with a small spread), each labelled with its
source. Recorded tickers exist only for other dates, and mixing dates would misrepresent a
live quote, so every output built from this says "snapshot" and the date.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from core.domain.models import DataSource, Market, MarketData, Quote
from core.exchange.assets import normalize_asset

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Snapshot:
    """Markets and prices of one recorded day. Read-only; keyed by quote, then by base."""

    markets: Mapping[str, Mapping[str, Market]]  # "EUR" -> "BTC" -> Market
    quotes: Mapping[str, Mapping[str, Quote]]  # "EUR" -> "BTC" -> Quote
    price_sources: Mapping[str, str]  # "BTC/EUR" -> where that price comes from
    source: DataSource

    def market(self, base: str, quote: str) -> Market | None:
        return self.markets.get(quote, {}).get(base)

    def quote(self, base: str, quote: str) -> Quote | None:
        return self.quotes.get(quote, {}).get(base)

    def tradable(self, quote: str) -> frozenset[str]:
        """Bases with an online market against `quote`."""
        return frozenset(b for b, m in self.markets.get(quote, {}).items() if m.online)

    def blocked_reason(self, base: str, quote: str) -> str:
        """Why `base` cannot be traded against `quote` here, or "" when it can."""
        market = self.market(base, quote)
        if market is None:
            return f"no {base}/{quote} market in the snapshot"
        if not market.online:
            return f"{market.symbol} is {market.status}, not online"
        if self.quote(base, quote) is None:
            return f"no {market.symbol} price in the snapshot"
        return ""

    def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        """Markets and quotes for `assets`; the others listed in `blocked` with the reason."""
        wanted = [a for a in dict.fromkeys(assets) if a != quote]
        markets = {a: m for a in wanted if (m := self.market(a, quote)) is not None}
        quotes = {a: q for a in wanted if (q := self.quote(a, quote)) is not None}
        blocked = {a: r for a in wanted if (r := self.blocked_reason(a, quote))}
        return MarketData(quote, markets, quotes, self.source, blocked)


def parse_asset_pair(pair_id: str, fields: Mapping[str, Any]) -> Market:
    """One entry of Kraken's AssetPairs `result` as a Market (common asset codes)."""
    base, quote = normalize_asset(fields["base"]), normalize_asset(fields["quote"])
    return Market(
        symbol=f"{base}/{quote}",
        base=base,
        quote=quote,
        exchange_id=pair_id,
        amount_decimals=int(fields["lot_decimals"]),
        price_decimals=int(fields["pair_decimals"]),
        order_min=Decimal(str(fields.get("ordermin", "0"))),
        cost_min=Decimal(str(fields.get("costmin", "0"))),
        taker_fee=Decimal(str(fields["fees"][0][1])) / _HUNDRED,
        status=str(fields.get("status", "online")),
        maker_fee=_first_tier(fields.get("fees_maker")),
        tick_size=Decimal(str(fields["tick_size"])) if fields.get("tick_size") else None,
    )


def _first_tier(schedule: Any) -> Decimal | None:
    """The first tier of a fee schedule (percent) as a fraction; None without one."""
    return Decimal(str(schedule[0][1])) / _HUNDRED if schedule else None


@cache
def load_snapshot() -> Snapshot:
    """The bundled snapshot (parsed once per process)."""
    pairs = _read("AssetPairs.json")["result"]
    by_id = {pid: parse_asset_pair(pid, f) for pid, f in pairs.items() if not pid.endswith(".d")}
    tickers = _read("tickers.json")
    as_of = datetime.fromisoformat(tickers["as_of"]).replace(tzinfo=UTC)
    quotes: dict[str, dict[str, Quote]] = {}
    sources: dict[str, str] = {}
    for pid, raw in tickers["tickers"].items():
        market = by_id[pid]
        quotes.setdefault(market.quote, {})[market.base] = _quote(market, raw)
        sources[market.symbol] = str(raw["source"])
    note = f"bundled snapshot of {as_of:%Y-%m-%d}; prices illustrative"
    return Snapshot(_by_quote(by_id.values()), quotes, sources, DataSource("snapshot", as_of, note))


def _read(name: str) -> dict[str, Any]:
    text = files(__name__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text, parse_float=Decimal)
    return data


def _quote(market: Market, raw: Mapping[str, Any]) -> Quote:
    bid, ask = Decimal(raw["bid"]), Decimal(raw["ask"])
    if not 0 < bid <= ask:
        raise ValueError(f"snapshot price of {market.symbol} is not 0 < bid <= ask: {bid} {ask}")
    return Quote(market.symbol, bid, ask)


def _by_quote(markets: Iterable[Market]) -> dict[str, dict[str, Market]]:
    result: dict[str, dict[str, Market]] = {}
    for market in markets:
        result.setdefault(market.quote, {})[market.base] = market
    return result
