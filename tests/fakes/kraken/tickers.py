"""Settable top-of-book quotes and Kraken ``Ticker`` entries built from them.

Default mids are illustrative values set by hand (not market data): BTC 40,000 EUR,
ETH 2,500, SOL 100, ADA 0.50, … with USD pairs at EUR × 1.087. Bid/ask sit one basis point
apart around the mid (at least one tick each side) unless a spread is set (the price tape sets
its own, e.g. 10 bps).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from .markets import Pair
from .util import JsonDict, fmt, round_half_up

DEFAULT_MIDS: dict[str, str] = {
    "XXBTZEUR": "40000",
    "XETHZEUR": "2500",
    "SOLEUR": "100",
    "ADAEUR": "0.5",
    "DOTEUR": "5",
    "XXRPZEUR": "0.5",
    "XDGEUR": "0.08",
    "LINKEUR": "12",
    "USDCEUR": "0.92",
    "USDTEUR": "0.92",
    "EURQEUR": "1",
    "XXBTZUSD": "43480",
    "XETHZUSD": "2717.5",
    "SOLUSD": "108.7",
    "XBTUSDT": "43480",
    "XBTUSDC": "43480",
    "XETHXXBT": "0.0625",
    "0GEUR": "1.2",
    "AGLDEUR": "0.6",
    "AIOEUR": "0.1",
    "XREPZEUR": "0.5",
}
FALLBACK_MID = Decimal("1")
HALF_SPREAD = Decimal("0.00005")  # relative: bid/ask are mid ∓ 0.005 %


@dataclass
class Quote:
    bid: Decimal
    ask: Decimal
    last: Decimal


def quote_around(pair: Pair, mid: Decimal, half_spread: Decimal = HALF_SPREAD) -> Quote:
    """A quote ``2 × half_spread`` (relative) wide around ``mid``, on the pair's tick grid."""
    tick = pair.tick_size
    half = max(tick, (mid * half_spread / tick).to_integral_value(rounding=ROUND_UP) * tick)
    mid_on_grid = round_half_up(mid, pair.pair_decimals)
    return Quote(bid=mid_on_grid - half, ask=mid_on_grid + half, last=mid_on_grid)


class TickerBook:
    """Current (background) quote per pair id, and the relative half spread of new quotes."""

    def __init__(self) -> None:
        self.quotes: dict[str, Quote] = {}
        self.half_spread = HALF_SPREAD

    def around(self, pair: Pair, mid: Decimal) -> Quote:
        return quote_around(pair, mid, self.half_spread)

    def ensure(self, pair: Pair, mid: Decimal | None = None) -> Quote:
        if pair.id not in self.quotes:
            default = mid if mid is not None else Decimal(DEFAULT_MIDS.get(pair.id, FALLBACK_MID))
            self.quotes[pair.id] = self.around(pair, default)
        return self.quotes[pair.id]

    def set(
        self,
        pair: Pair,
        price: Decimal | None = None,
        *,
        bid: Decimal | None = None,
        ask: Decimal | None = None,
        last: Decimal | None = None,
    ) -> Quote:
        """Set a quote; ``price`` (or a lone ``last``) re-centres bid/ask around it."""
        centre = price if price is not None else (last if bid is None and ask is None else None)
        current = self.around(pair, centre) if centre is not None else self.ensure(pair)
        new_bid = bid if bid is not None else current.bid
        new_ask = ask if ask is not None else current.ask
        if new_bid > new_ask:
            raise ValueError(f"bid {new_bid} above ask {new_ask} for {pair.id}")
        if last is None:
            last = current.last if centre is not None else (new_bid + new_ask) / 2
        quote = Quote(bid=new_bid, ask=new_ask, last=round_half_up(last, pair.pair_decimals))
        self.quotes[pair.id] = quote
        return quote

    def entry(self, pair: Pair, bid: Decimal, ask: Decimal) -> JsonDict:
        """A ``Ticker`` entry (fields and formats of ``Ticker.XXBTZEUR.json``) at this touch."""
        quote = self.ensure(pair)
        places = max(pair.pair_decimals, 5)

        def px(value: Decimal) -> str:
            return fmt(value, places)

        opening = quote.last * Decimal("0.99")
        low = min(bid, opening)
        high = max(ask, opening)
        return {
            "a": [px(ask), "1", "1.000"],
            "b": [px(bid), "2", "2.000"],
            "c": [px(quote.last), "0.10000000"],
            "v": ["1234.56780000", "2469.13560000"],
            "p": [px(quote.last), px(opening)],
            "t": [1000, 2000],
            "l": [px(low * Decimal("0.995")), px(low * Decimal("0.99"))],
            "h": [px(high * Decimal("1.005")), px(high * Decimal("1.01"))],
            "o": px(opening),
        }
