"""The account behind the fake: balances, holds, fills, closing and looking orders up.

Pure bookkeeping (no HTTP, no matching: :mod:`.engine` decides what fills). All amounts are
``Decimal``. Fees are charged in the quote currency (``fciq``, the flag Kraken's recorded
orders carry) unless the order asks for ``fcib``; each fill's cost and fee are rounded to
the pair's ``cost_decimals`` (fees in base to ``lot_decimals``). An open limit order holds
what its unfilled remainder would consume at its limit price and the *taker* fee (it may
still end up taking), which ``BalanceEx`` reports as ``hold_trade``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from decimal import Decimal

from .markets import Catalog, Pair
from .orders import ZERO, Fill, Order
from .util import KrakenError, kraken_id, round_half_up
from .validation import INSUFFICIENT_FUNDS, OrderRequest

UNKNOWN_ORDER = "EOrder:Unknown order"
USER_REQUESTED = "User requested"
HUNDRED = Decimal(100)


class Account:
    def __init__(
        self,
        catalog: Catalog,
        rng: random.Random,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.catalog = catalog
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
            asset, amount = self.hold_of(order)
            result[asset] = result.get(asset, ZERO) + amount
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

    # -- amounts ----------------------------------------------------------------------------

    def trade_amounts(
        self, order: Order, price: Decimal, volume: Decimal, *, maker: bool
    ) -> tuple[Decimal, Decimal]:
        """(cost, fee) of filling ``volume`` of ``order`` at ``price``."""
        pair = order.pair
        cost = round_half_up(volume * price, pair.cost_decimals)
        pct = self.fee_pct(pair, maker=maker)
        if order.fee_in_base:
            return cost, round_half_up(volume * pct / HUNDRED, pair.lot_decimals)
        return cost, round_half_up(cost * pct / HUNDRED, pair.cost_decimals)

    def needed(
        self, order: Order, fills: Iterable[tuple[Decimal, Decimal]], *, maker: bool
    ) -> tuple[str, Decimal]:
        """Which asset, and how much of it, ``order`` consumes for these (price, volume)s."""
        total = ZERO
        for price, volume in fills:
            cost, fee = self.trade_amounts(order, price, volume, maker=maker)
            if order.side == "buy":
                total += cost + (ZERO if order.fee_in_base else fee)
            else:
                total += volume + (fee if order.fee_in_base else ZERO)
        return (order.pair.quote if order.side == "buy" else order.pair.base), total

    def hold_of(self, order: Order) -> tuple[str, Decimal]:
        """What an open limit order reserves: its remainder at its limit, taker fee."""
        assert order.price is not None
        return self.needed(order, [(order.price, order.remaining)], maker=False)

    def check_funds(
        self, order: Order, fills: Iterable[tuple[Decimal, Decimal]], *, freed: Decimal = ZERO
    ) -> None:
        """InsufficientFunds unless the account can pay for ``fills`` (taker fee)."""
        asset, amount = self.needed(order, fills, maker=False)
        if amount > self.available(asset) + freed:
            raise KrakenError(INSUFFICIENT_FUNDS)

    # -- placing, filling, closing ----------------------------------------------------------

    def new_order(self, request: OrderRequest, touched_at: float) -> Order:
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
            timeinforce=request.timeinforce,
            touched_at=touched_at,
        )

    def _unique_id(self, prefix: str) -> str:
        while True:
            candidate = kraken_id(prefix, self.rng)
            if candidate not in self.orders:
                return candidate

    def book(self, order: Order) -> None:
        """Record an accepted order (and index it while it is open)."""
        self.orders[order.txid] = order
        if order.is_open:
            self.open[order.txid] = order

    def apply_fill(self, order: Order, price: Decimal, volume: Decimal, *, maker: bool) -> Fill:
        """Execute ``volume`` of ``order`` at ``price``; closes the order once fully filled."""
        pair = order.pair
        cost, fee = self.trade_amounts(order, price, volume, maker=maker)
        base_fee, quote_fee = (fee, ZERO) if order.fee_in_base else (ZERO, fee)
        sign = 1 if order.side == "buy" else -1
        self._credit(pair.base, sign * volume - base_fee)
        self._credit(pair.quote, -sign * cost - quote_fee)
        fill = Fill(price, volume, cost, fee, maker, kraken_id("T", self.rng))
        order.fills.append(fill)
        if order.remaining <= 0:
            self.close(order, "closed", None)
        return fill

    def close(self, order: Order, status: str, reason: str | None) -> None:
        order.status, order.reason = status, reason
        order.closetm = round(max(self.wall_clock(), order.opentm + 0.0001), 4)
        self.open.pop(order.txid, None)

    def open_matching(self, txid: str | None = None, cl_ord_id: str | None = None) -> list[Order]:
        """Open orders by txid, userref (numeric ``txid``) or cl_ord_id."""
        return [o for o in self.open.values() if _matches(o, txid, cl_ord_id)]

    def open_for(self, pair: Pair) -> list[Order]:
        return [o for o in self.open.values() if o.pair.id == pair.id]

    def has_open_cl_ord_id(self, cl_ord_id: str) -> bool:
        return any(o.cl_ord_id == cl_ord_id for o in self.open.values())

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
