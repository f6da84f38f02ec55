"""The account behind the fake: balances, holds, order placement, fills and cancels.

Pure logic (no HTTP). All amounts are ``Decimal``. A market order fills at once and in full at
the ask (buy) or bid (sell) with the taker fee; a limit order rests ``open`` and holds its funds
until :meth:`Account.fill` or a cancel. Fees are charged in the quote currency (``fciq``, the
flag Kraken's recorded orders carry) unless the order asks for ``fcib``. ``validate=true``
runs every check except the funds check and books nothing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from decimal import Decimal

from .markets import Catalog, Pair
from .orders import ZERO, Order
from .tickers import TickerBook
from .util import JsonDict, KrakenError, kraken_id, round_half_up
from .validation import (
    DUPLICATE_CL_ORD_ID,
    INSUFFICIENT_FUNDS,
    OrderRequest,
    check_minimums,
    check_pair_status,
    check_precision,
)

UNKNOWN_ORDER = "EOrder:Unknown order"
HUNDRED = Decimal(100)


class Account:
    def __init__(
        self,
        catalog: Catalog,
        tickers: TickerBook,
        rng: random.Random,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
        self.tickers = tickers
        self.rng = rng
        self.wall_clock = wall_clock
        self.balances: dict[str, Decimal] = {}
        self.orders: dict[str, Order] = {}
        self.open: dict[str, Order] = {}  # index of self.orders' open ones
        self.taker_fee_pct: Decimal | None = None
        self.maker_fee_pct: Decimal | None = None

    # -- balances ---------------------------------------------------------------------------

    def holds(self) -> dict[str, Decimal]:
        """Funds reserved by open orders, per asset."""
        result: dict[str, Decimal] = {}
        for order in self.open.values():
            if order.hold_asset is not None:
                result[order.hold_asset] = result.get(order.hold_asset, ZERO) + order.hold_amount
        return result

    def held(self, asset: str) -> Decimal:
        return self.holds().get(asset, ZERO)

    def available(self, asset: str) -> Decimal:
        return self.balances.get(asset, ZERO) - self.held(asset)

    def _credit(self, asset: str, amount: Decimal) -> None:
        self.balances[asset] = self.balances.get(asset, ZERO) + amount

    def fee_pct(self, pair: Pair, *, maker: bool) -> Decimal:
        override = self.maker_fee_pct if maker else self.taker_fee_pct
        if override is not None:
            return override
        return pair.maker_fee_pct if maker else pair.taker_fee_pct

    # -- placing ----------------------------------------------------------------------------

    def add_order(self, request: OrderRequest) -> JsonDict:
        """Validate like Kraken, then book (and for market orders fill) the order."""
        check_pair_status(request)
        check_precision(request)
        quote = self.tickers.ensure(request.pair)
        market_price = quote.ask if request.side == "buy" else quote.bid
        check_minimums(request, request.price or market_price)
        if request.cl_ord_id is not None and self._open_with_cl_ord_id(request.cl_ord_id):
            raise KrakenError(DUPLICATE_CL_ORD_ID)
        order = self._new_order(request)
        if request.validate:
            return {"descr": {"order": order.descr_order()}}
        if request.ordertype == "market":
            self._check_funds(order, market_price, maker=False)
            self.orders[order.txid] = order
            self._execute(order, market_price, maker=False)
        else:
            self._hold(order)
            self.orders[order.txid] = self.open[order.txid] = order
        return {"descr": {"order": order.descr_order()}, "txid": [order.txid]}

    def _open_with_cl_ord_id(self, cl_ord_id: str) -> bool:
        return any(o.cl_ord_id == cl_ord_id for o in self.open.values())

    def _new_order(self, request: OrderRequest) -> Order:
        return Order(
            txid=self._unique_id("O"),
            pair=request.pair,
            side=request.side,
            ordertype=request.ordertype,
            volume=request.volume,
            price=request.price,
            opentm=round(self.wall_clock(), 4),
            oflags=request.oflags,
            cl_ord_id=request.cl_ord_id,
            userref=request.userref,
        )

    def _unique_id(self, prefix: str) -> str:
        while True:
            candidate = kraken_id(prefix, self.rng)
            if candidate not in self.orders:
                return candidate

    def _trade_amounts(
        self, order: Order, price: Decimal, *, maker: bool
    ) -> tuple[Decimal, Decimal]:
        """(cost, fee) of filling ``order`` completely at ``price``."""
        pair = order.pair
        cost = round_half_up(order.volume * price, pair.cost_decimals)
        pct = self.fee_pct(pair, maker=maker)
        if order.fee_in_base:
            return cost, round_half_up(order.volume * pct / HUNDRED, pair.lot_decimals)
        return cost, round_half_up(cost * pct / HUNDRED, pair.cost_decimals)

    def _needed(self, order: Order, price: Decimal, *, maker: bool) -> tuple[str, Decimal]:
        """Which asset, and how much of it, the order consumes if filled at ``price``."""
        cost, fee = self._trade_amounts(order, price, maker=maker)
        if order.side == "buy":
            return order.pair.quote, cost + (ZERO if order.fee_in_base else fee)
        return order.pair.base, order.volume + (fee if order.fee_in_base else ZERO)

    def _check_funds(self, order: Order, price: Decimal, *, maker: bool) -> None:
        asset, amount = self._needed(order, price, maker=maker)
        if amount > self.available(asset):
            raise KrakenError(INSUFFICIENT_FUNDS)

    def _hold(self, order: Order) -> None:
        assert order.price is not None
        # Reserve at the taker rate: a resting order may still end up crossing.
        self._check_funds(order, order.price, maker=False)
        order.hold_asset, order.hold_amount = self._needed(order, order.price, maker=False)

    def _execute(self, order: Order, price: Decimal, *, maker: bool) -> None:
        pair = order.pair
        cost, fee = self._trade_amounts(order, price, maker=maker)
        base_fee, quote_fee = (fee, ZERO) if order.fee_in_base else (ZERO, fee)
        sign = 1 if order.side == "buy" else -1
        self._credit(pair.base, sign * order.volume - base_fee)
        self._credit(pair.quote, -sign * cost - quote_fee)
        order.status, order.reason = "closed", None
        order.vol_exec, order.cost, order.fee, order.avg_price = order.volume, cost, fee, price
        order.trades.append(kraken_id("T", self.rng))
        order.closetm = round(max(self.wall_clock(), order.opentm + 0.0001), 4)
        order.hold_asset, order.hold_amount = None, ZERO
        self.open.pop(order.txid, None)

    # -- resting orders ---------------------------------------------------------------------

    def fill(self, txid: str, price: Decimal | None = None) -> Order:
        """Fill a resting limit order completely (maker fee), at its limit price by default."""
        order = self.open.get(txid)
        if order is None:
            raise KrakenError(UNKNOWN_ORDER)
        fill_price = price if price is not None else order.price
        assert fill_price is not None
        self._execute(order, fill_price, maker=True)
        return order

    def cancel(self, txid: str | None = None, cl_ord_id: str | None = None) -> int:
        """Cancel open orders by txid, userref (numeric ``txid``) or cl_ord_id; count them."""
        matches = [o for o in self.open.values() if _matches(o, txid, cl_ord_id)]
        if not matches:
            raise KrakenError(UNKNOWN_ORDER)
        for order in matches:
            order.status, order.reason = "canceled", "User requested"
            order.closetm = round(self.wall_clock(), 4)
            order.hold_asset, order.hold_amount = None, ZERO
            del self.open[order.txid]
        return len(matches)

    # -- queries ----------------------------------------------------------------------------

    def select(
        self, *, is_open: bool, userref: int | None = None, cl_ord_id: str | None = None
    ) -> list[Order]:
        """Open (oldest first) or closed/canceled (newest first) orders matching the filters."""
        pool = self.open.values() if is_open else self.orders.values()
        found = [
            o
            for o in pool
            if o.is_open == is_open
            and (userref is None or o.userref == userref)
            and (cl_ord_id is None or o.cl_ord_id == cl_ord_id)
        ]
        if not is_open:
            found.sort(key=lambda o: o.closetm or 0.0, reverse=True)
        return found

    def query(self, txids: Iterable[str]) -> list[Order]:
        """Orders by txid, in the order asked; any unknown id fails the whole call."""
        try:
            return [self.orders[txid] for txid in txids]
        except KeyError:
            raise KrakenError("EOrder:Invalid order") from None


def _matches(order: Order, txid: str | None, cl_ord_id: str | None) -> bool:
    if cl_ord_id is not None:
        return order.cl_ord_id == cl_ord_id
    if txid is None:
        return False
    if txid.lstrip("-").isdigit():
        return order.userref == int(txid)
    return order.txid == txid
