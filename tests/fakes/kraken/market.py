"""``FakeKraken``'s market-side knobs: quotes, pairs, the book's shape, the price tape, fills.

A mixin of :class:`.server.FakeKraken` (which owns ``runtime``), kept apart so each module
stays small. Every price and amount is accepted as ``Decimal``, ``int`` or ``str``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from .app import Runtime
from .book import Liquidity
from .engine import POST_ONLY_MODES, Engine
from .markets import Catalog, Pair
from .orders import Fill, Order
from .state import Account
from .synthetic import add_synthetic_pair
from .tape import PriceTape, advance
from .tickers import Quote

Amount = Decimal | int | str


def dec(value: Amount) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _opt(value: Amount | None) -> Decimal | None:
    return None if value is None else dec(value)


class MarketKnobs:
    """Market state of the fake; see ``tests/fakes/kraken_server.py`` for the guide."""

    runtime: Runtime
    tape: PriceTape | None = None
    _tape_pairs: list[str] | None = None

    @property
    def catalog(self) -> Catalog:
        return self.runtime.venue.catalog

    @property
    def account(self) -> Account:
        return self.runtime.venue.account

    @property
    def engine(self) -> Engine:
        return self.runtime.venue.engine

    def pair(self, name: str) -> Pair:
        """A pair by id (``XXBTZEUR``), altname (``XBTEUR``), wsname or symbol (``BTC/EUR``)."""
        pair = self.catalog.resolve(name)
        if pair is None:
            raise KeyError(name)
        return pair

    def quote(self, pair_or_symbol: str) -> Quote:
        """The background quote (everyone else's touch; own orders not included)."""
        return self.runtime.venue.tickers.ensure(self.pair(pair_or_symbol))

    def set_price(
        self,
        pair_or_symbol: str,
        price: Amount | None = None,
        *,
        bid: Amount | None = None,
        ask: Amount | None = None,
        last: Amount | None = None,
    ) -> Quote:
        """Set a pair's quote. ``price`` (or ``last`` alone) re-centres bid/ask around it.

        Resting orders the new quote moved through fill in full, as maker, at their limit.
        """
        pair = self.pair(pair_or_symbol)
        tickers = self.runtime.venue.tickers
        quote = tickers.set(pair, _opt(price), bid=_opt(bid), ask=_opt(ask), last=_opt(last))
        self.engine.quote_changed(pair.id)
        return quote

    def set_pair_status(self, pair_or_symbol: str, status: str) -> None:
        """``online`` | ``cancel_only`` | ``post_only`` | ``limit_only`` | ``reduce_only`` | …"""
        self.pair(pair_or_symbol).info["status"] = status

    def add_synthetic_market(
        self,
        base: str,
        quote: str = "EUR",
        price: Amount = Decimal(1),
        *,
        lot_decimals: int = 8,
        pair_decimals: int | None = None,
        ordermin: Amount | None = None,
        costmin: Amount = Decimal("0.45"),
        status: str = "online",
        balance: Amount | None = None,
    ) -> Pair:
        """Add asset ``base`` (if new) and the pair ``base``/``quote`` at ``price``.

        The pair id and altname are ``<base><quote>`` (``AAAEUR``), wsname ``AAA/EUR``;
        ``quote`` may be a ccxt code (``EUR`` -> ``ZEUR``). Defaults: ``pair_decimals`` from
        the price's magnitude, ``ordermin`` worth about 5 quote units.
        """
        mid = dec(price)
        pair = add_synthetic_pair(
            self.catalog,
            base=base,
            quote=quote,
            price=mid,
            lot_decimals=lot_decimals,
            pair_decimals=pair_decimals,
            ordermin=_opt(ordermin),
            costmin=dec(costmin),
            status=status,
        )
        self.runtime.venue.tickers.set(pair, mid)
        if balance is not None:
            self.account.balances[pair.base] = dec(balance)
        return pair

    # -- the book --------------------------------------------------------------------------

    def set_liquidity(
        self,
        level_value: Amount | None = None,
        *,
        levels: int | None = None,
        gap_bps: Amount | None = None,
    ) -> Liquidity:
        """Shape the background book: quote value per level (None: bottomless), levels, gap."""
        liquidity = self.engine.liquidity
        liquidity.level_value = _opt(level_value)
        if levels is not None:
            liquidity.levels = levels
        if gap_bps is not None:
            liquidity.gap_bps = dec(gap_bps)
        return liquidity

    @property
    def post_only_cross(self) -> str:
        """``reject`` (``EOrder:Post only order``) or ``cancel`` (booked, then cancelled)."""
        return self.engine.post_only_cross

    @post_only_cross.setter
    def post_only_cross(self, mode: str) -> None:
        if mode not in POST_ONLY_MODES:
            raise ValueError(f"post_only_cross is one of {sorted(POST_ONLY_MODES)}, not {mode!r}")
        self.engine.post_only_cross = mode

    def trading_level(self, pair_or_symbol: str) -> float:
        """The pair's trading-counter value now (0 when no tier is set)."""
        return self.engine.counter.level(self.pair(pair_or_symbol).id)

    # -- the price tape and fills ----------------------------------------------------------

    def start_tape(
        self,
        *,
        seed: int = 0,
        spread_bps: Amount = Decimal(10),
        step_bps: Amount = Decimal(5),
        flow_value: Amount = Decimal(500),
        pairs: Sequence[str] | None = None,
    ) -> PriceTape:
        """Drive prices by a seeded random walk; nothing moves until :meth:`advance`.

        ``pairs`` (names or symbols) are the pairs each step moves; default: every pair
        quoted so far, in pair-id order. Their quotes are re-centred with the tape's spread.
        """
        tape = PriceTape(seed, dec(spread_bps), dec(step_bps), dec(flow_value))
        tickers = self.runtime.venue.tickers
        tickers.half_spread = tape.half_spread
        self.tape = tape
        self._tape_pairs = None if pairs is None else [self.pair(p).id for p in pairs]
        for pair in self._stepped():
            quote = tickers.ensure(pair)
            tickers.set(pair, (quote.bid + quote.ask) / 2)
            self.engine.quote_changed(pair.id)
        return tape

    def advance(self, steps: int = 1) -> list[Fill]:
        """Move the tape ``steps`` steps; the fills it caused, oldest first."""
        if self.tape is None:
            raise RuntimeError("no price tape: call start_tape() first")
        fills: list[Fill] = []
        for _ in range(steps):
            fills += advance(self.tape, self.engine, self._stepped())
        return fills

    def _stepped(self) -> list[Pair]:
        ids = self._tape_pairs or sorted(self.runtime.venue.tickers.quotes)
        return [self.catalog.pairs[pair_id] for pair_id in ids]

    def trade(self, pair_or_symbol: str, taker_side: str, volume: Amount) -> list[Fill]:
        """Another trader's ``taker_side`` market order: fills own resting orders at the touch."""
        if taker_side not in {"buy", "sell"}:
            raise ValueError(f"taker_side is buy or sell, not {taker_side!r}")
        return self.engine.trade(self.pair(pair_or_symbol).id, taker_side, dec(volume))

    def fill_order(
        self, txid: str, price: Amount | None = None, volume: Amount | None = None
    ) -> Order:
        """Fill a resting limit order (maker fee): all of it, or ``volume``, at its limit or
        ``price``."""
        order = self.account.orders.get(txid)
        if order is None:
            raise KeyError(txid)
        self.engine.fill(order, _opt(volume), _opt(price))
        return order
