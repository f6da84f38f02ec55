"""The matching engine: how orders meet the book (:mod:`.book`) and the account (:mod:`.state`).

* **Market** orders sweep the background book at once and in full (taker fee).
* **Limit** orders that cross the touch take what they cross (taker fee, at the book's
  prices); the rest rests and holds funds. ``timeinforce=IOC`` cancels the rest instead
  (status ``canceled``; ``closed`` when nothing was left).
* **Post-only** (``oflags=post``) orders never take: one that would cross is refused with
  ``EOrder:Post only order`` (``post_only_cross="reject"``, the default), or accepted and at
  once cancelled with reason ``Post only order`` (``"cancel"``: what client code also sees).
* **Resting** orders fill as maker, at their own limit, when the market trades through them
  (the background moved across their price: in full) or when other traders' flow reaches
  them at the touch (:meth:`Engine.trade`: partially). Own orders are first in their level.
* **AmendOrder** keeps the txid, cl_ord_id and fills; a post-only order (or ``post_only``
  amend) moved across the book is refused and left as it was. An amend of the quantity to at
  most what is filled cancels the rest (our reading of "the remaining quantity will be
  cancelled"; unverified).
* **CancelOrder** closes the order ``canceled``, reason ``User requested``.

Trading calls are charged to the per-pair trading counter (:mod:`.trading_limits`). The
account's own orders never trade with each other.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from .book import Liquidity, Touch, background, crosses, sweep, touch_of
from .markets import Pair
from .orders import ZERO, Fill, Order
from .state import UNKNOWN_ORDER, USER_REQUESTED, Account
from .tickers import TickerBook
from .trading_limits import TradingCounter, add_cost, amend_cost, cancel_cost
from .util import JsonDict, KrakenError, kraken_id
from .validation import (
    DUPLICATE_CL_ORD_ID,
    ORDER_MINIMUM,
    POST_ONLY_ORDER,
    AmendRequest,
    OrderRequest,
    check_minimums,
    check_pair_status,
    check_precision,
    check_price,
    check_volume,
    invalid,
)

POST_ONLY_REASON = "Post only order"
# Not confirmed from a recording: the reason an IOC order's unfilled rest is cancelled with.
IOC_REASON = "Immediate or cancel"
POST_ONLY_MODES = frozenset({"reject", "cancel"})


class Engine:
    def __init__(
        self,
        account: Account,
        tickers: TickerBook,
        clock: Callable[[], float],
        liquidity: Liquidity | None = None,
    ) -> None:
        self.account = account
        self.tickers = tickers
        self.clock = clock
        self.liquidity = liquidity or Liquidity()
        self.counter = TradingCounter(clock)
        self.post_only_cross = "reject"

    # -- the book -----------------------------------------------------------------------------

    def touch(self, pair: Pair, excluding: Order | None = None) -> Touch:
        """The touch others see: the account's resting orders (but ``excluding``) included."""
        others = [o for o in self.account.open_for(pair) if o is not excluding]
        return touch_of(self.tickers.ensure(pair), others)

    def _background_touch(self, order_pair: Order | OrderRequest) -> Touch:
        quote = self.tickers.ensure(order_pair.pair)
        return Touch(quote.bid, quote.ask)

    def _sweep(self, order: Order, limit: Decimal | None) -> list[tuple[Decimal, Decimal]]:
        side = "asks" if order.side == "buy" else "bids"
        levels = background(order.pair, self.tickers.ensure(order.pair), side, self.liquidity)
        return sweep(levels, order.remaining, limit, order.side)

    # -- AddOrder -----------------------------------------------------------------------------

    def add_order(self, request: OrderRequest) -> JsonDict:
        """Validate like Kraken, then book the order and match what crosses."""
        check_pair_status(request)
        check_precision(request)
        touch = self._background_touch(request)
        market_price = touch.ask if request.side == "buy" else touch.bid
        check_minimums(request, request.price or market_price)
        if request.cl_ord_id is not None and self.account.has_open_cl_ord_id(request.cl_ord_id):
            raise KrakenError(DUPLICATE_CL_ORD_ID)
        order = self.account.new_order(request, touched_at=self.clock())
        descr = {"order": order.descr_order()}
        if request.validate:
            return {"descr": descr}
        self.counter.charge(request.pair.id, add_cost())
        if request.ordertype == "market":
            self._market(order)
        else:
            self._limit(order)
        return {"descr": descr, "txid": [order.txid]}

    def _market(self, order: Order) -> None:
        fills = self._sweep(order, None)
        self.account.check_funds(order, fills)
        self.account.book(order)
        self._take(order, fills)

    def _limit(self, order: Order) -> None:
        assert order.price is not None
        if order.post_only and crosses(order.side, order.price, self.touch(order.pair)):
            if self.post_only_cross == "reject":
                raise KrakenError(POST_ONLY_ORDER)
            self.account.book(order)
            self.account.close(order, "canceled", POST_ONLY_REASON)
            return
        self.account.check_funds(order, [(order.price, order.volume)])
        self.account.book(order)
        self._take(order, self._sweep(order, order.price))
        if order.is_open and order.timeinforce == "IOC":
            self.account.close(order, "canceled", IOC_REASON)

    def _take(self, order: Order, fills: list[tuple[Decimal, Decimal]]) -> None:
        for price, volume in fills:
            self.account.apply_fill(order, price, volume, maker=False)

    # -- AmendOrder ---------------------------------------------------------------------------

    def amend(self, request: AmendRequest) -> JsonDict:
        """Change an open order's limit price and/or quantity in place."""
        order = self._one_open(request.txid, request.cl_ord_id)
        self.counter.charge(order.pair.id, amend_cost(self.clock() - order.touched_at))
        check_pair_status(_as_limit(order))
        price = request.limit_price if request.limit_price is not None else order.price
        volume = request.order_qty if request.order_qty is not None else order.volume
        assert price is not None
        self._check_amend(order, price, volume, post_only=request.post_only or order.post_only)
        order.price, order.volume, order.touched_at = price, volume, self.clock()
        if order.remaining <= 0:
            self.account.close(order, "canceled", USER_REQUESTED)
        else:
            self._take(order, self._sweep(order, price))
        return {"amend_id": kraken_id("T", self.account.rng)}

    def _check_amend(
        self, order: Order, price: Decimal, volume: Decimal, *, post_only: bool
    ) -> None:
        check_price(order.pair, price)
        check_volume(order.pair, volume, "order_qty")
        if volume < order.pair.ordermin:
            raise KrakenError(ORDER_MINIMUM)
        if post_only and crosses(order.side, price, self.touch(order.pair, excluding=order)):
            raise KrakenError(POST_ONLY_ORDER)
        _, held = self.account.hold_of(order)
        remaining = max(ZERO, volume - order.vol_exec)
        self.account.check_funds(order, [(price, remaining)], freed=held)

    def _one_open(self, txid: str | None, cl_ord_id: str | None) -> Order:
        found = self.account.open_matching(txid=txid, cl_ord_id=cl_ord_id)
        if len(found) != 1:
            raise KrakenError(UNKNOWN_ORDER) if not found else invalid("txid")
        return found[0]

    # -- CancelOrder --------------------------------------------------------------------------

    def cancel(self, txid: str | None = None, cl_ord_id: str | None = None) -> int:
        """Cancel open orders by txid, userref (numeric ``txid``) or cl_ord_id; count them."""
        matches = self.account.open_matching(txid=txid, cl_ord_id=cl_ord_id)
        if not matches:
            raise KrakenError(UNKNOWN_ORDER)
        for order in matches:
            self.counter.charge(order.pair.id, cancel_cost(self.clock() - order.touched_at))
            self.account.close(order, "canceled", USER_REQUESTED)
        return len(matches)

    # -- the market moving ----------------------------------------------------------------------

    def quote_changed(self, pair_id: str) -> list[Fill]:
        """Fill in full, as maker at their limit, the resting orders the market moved through."""
        fills: list[Fill] = []
        for order in sorted(self._resting(pair_id), key=lambda o: o.opentm):
            assert order.price is not None
            if crosses(order.side, order.price, self._background_touch(order)):
                fills.append(self._maker(order, order.remaining, order.price))
        return fills

    def trade(self, pair_id: str, taker_side: str, volume: Decimal) -> list[Fill]:
        """Other traders' ``taker_side`` flow of ``volume``: fills own orders at the touch."""
        maker_side = "buy" if taker_side == "sell" else "sell"
        fills: list[Fill] = []
        left = volume
        for order in self._at_touch(pair_id, maker_side):
            if left <= 0:
                break
            assert order.price is not None
            take = min(left, order.remaining)
            fills.append(self._maker(order, take, order.price))
            left -= take
        return fills

    def fill(self, order: Order, volume: Decimal | None, price: Decimal | None) -> Fill:
        """Fill a resting order by hand (maker fee), in full at its limit by default."""
        if not order.is_open:
            raise KrakenError(UNKNOWN_ORDER)
        fill_price = price if price is not None else order.price
        assert fill_price is not None
        return self._maker(order, min(volume or order.remaining, order.remaining), fill_price)

    def _maker(self, order: Order, volume: Decimal, price: Decimal) -> Fill:
        return self.account.apply_fill(order, price, volume, maker=True)

    def _resting(self, pair_id: str) -> list[Order]:
        return [o for o in self.account.open.values() if o.pair.id == pair_id]

    def _at_touch(self, pair_id: str, side: str) -> list[Order]:
        """Own orders of ``side`` at or inside the background touch: best price, then oldest."""
        quote = self.tickers.quotes.get(pair_id)
        if quote is None:
            return []
        resting = [o for o in self._resting(pair_id) if o.side == side and o.price is not None]
        if side == "buy":
            eligible = [o for o in resting if o.price is not None and o.price >= quote.bid]
            return sorted(eligible, key=lambda o: (-(o.price or ZERO), o.opentm))
        eligible = [o for o in resting if o.price is not None and o.price <= quote.ask]
        return sorted(eligible, key=lambda o: (o.price or ZERO, o.opentm))


def _as_limit(order: Order) -> OrderRequest:
    """The order as a request, for the pair-status rule (an amend is a limit-order change)."""
    return OrderRequest(
        pair=order.pair,
        side=order.side,
        ordertype="limit",
        volume=order.volume,
        price=order.price,
        oflags=order.oflags,
        cl_ord_id=order.cl_ord_id,
        userref=order.userref,
        validate=False,
    )
