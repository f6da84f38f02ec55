"""The order record and its Kraken wire form (``OpenOrders``/``ClosedOrders``/``QueryOrders``).

Field names, order and JSON types follow the recorded ``OpenOrders.json``, ``ClosedOrders.json``
and ``QueryOrders.closed-market.json``: amounts are strings, ``userref`` (0 when not given, as in
the kraken-dca recordings), ``opentm``/``closetm``/``starttm``/``expiretm`` are numbers.
``cl_ord_id`` is present only when the order was placed with one; ``trades`` only when the
caller asked for ``trades=true`` and the order has fills; ``reason`` and ``closetm`` only once
the order is no longer open (``OpenOrders.json`` has neither).

An order fills in one or more :class:`Fill`\\ s: ``vol_exec``, ``cost``, ``fee`` and ``price``
(the average) are their sums, as Kraken reports them. ``misc`` says ``partial`` while part of
the volume is filled (Kraken's documented ``misc`` value). Whether a fill was maker or taker is
kept on the fill for tests to check; Kraken's order record does not say it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .markets import Pair
from .util import JsonDict, fmt

ZERO = Decimal(0)


@dataclass(frozen=True)
class Fill:
    """One execution of an order: ``volume`` at ``price``, as maker or taker."""

    price: Decimal
    volume: Decimal
    cost: Decimal  # quote units, rounded to the pair's cost_decimals
    fee: Decimal  # in the fee currency (quote unless fcib)
    maker: bool
    trade_id: str


@dataclass
class Order:
    txid: str
    pair: Pair
    side: str  # "buy" | "sell"
    ordertype: str  # "market" | "limit"
    volume: Decimal
    price: Decimal | None  # limit price; None for market orders
    opentm: float
    oflags: str = "fciq"
    cl_ord_id: str | None = None
    userref: int | None = None
    timeinforce: str = "GTC"  # "GTC" | "IOC" (not part of Kraken's order record)
    status: str = "open"  # "open" | "closed" | "canceled"
    reason: str | None = None
    closetm: float | None = None
    fills: list[Fill] = field(default_factory=list)
    touched_at: float = 0.0  # rate clock: when placed or last amended (trading-counter penalty)

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def post_only(self) -> bool:
        return "post" in self.oflags.split(",")

    @property
    def fee_in_base(self) -> bool:
        return "fcib" in self.oflags.split(",")

    @property
    def vol_exec(self) -> Decimal:
        return sum((f.volume for f in self.fills), ZERO)

    @property
    def remaining(self) -> Decimal:
        return self.volume - self.vol_exec

    @property
    def cost(self) -> Decimal:
        return sum((f.cost for f in self.fills), ZERO)

    @property
    def fee(self) -> Decimal:
        return sum((f.fee for f in self.fills), ZERO)

    @property
    def avg_price(self) -> Decimal:
        """Volume-weighted average fill price (0 before the first fill, as Kraken says)."""
        filled = self.vol_exec
        if filled == 0:
            return ZERO
        return sum((f.price * f.volume for f in self.fills), ZERO) / filled

    @property
    def maker_volume(self) -> Decimal:
        return sum((f.volume for f in self.fills if f.maker), ZERO)

    @property
    def trades(self) -> list[str]:
        return [f.trade_id for f in self.fills]

    def descr_order(self) -> str:
        """``buy 0.10000000 XBTEUR @ market`` / ``… @ limit 38857.2`` (altname, as recorded)."""
        text = f"{self.side} {self.fmt_volume(self.volume)} {self.pair.altname} @ {self.ordertype}"
        if self.price is not None:
            text += f" {fmt(self.price, self.pair.pair_decimals)}"
        return text

    def fmt_volume(self, value: Decimal) -> str:
        return fmt(value, max(8, self.pair.lot_decimals))

    def descr(self) -> JsonDict:
        price = fmt(self.price, self.pair.pair_decimals) if self.price is not None else "0"
        return {
            "pair": self.pair.altname,
            "type": self.side,
            "ordertype": self.ordertype,
            "price": price,
            "price2": "0",
            "leverage": "none",
            "order": self.descr_order(),
            "close": "",
        }

    def to_kraken(self, *, trades: bool = False) -> JsonDict:
        cost_places = self.pair.cost_decimals
        body: JsonDict = {
            "refid": None,
            "userref": self.userref if self.userref is not None else 0,
            "status": self.status,
        }
        if not self.is_open:  # the recorded OpenOrders.json has no "reason" key
            body |= {"reason": self.reason, "closetm": self.closetm}
        body["opentm"] = self.opentm
        filled = self.vol_exec
        body |= {
            "starttm": 0,
            "expiretm": 0,
            "descr": self.descr(),
            "vol": self.fmt_volume(self.volume),
            "vol_exec": self.fmt_volume(filled),
            "cost": fmt(self.cost, cost_places),
            "fee": fmt(self.fee, cost_places),
            "price": fmt(self.avg_price, cost_places),
            "stopprice": fmt(ZERO, cost_places),
            "limitprice": fmt(ZERO, cost_places),
            "misc": "partial" if 0 < filled < self.volume else "",
            "oflags": self.oflags,
        }
        if trades and self.fills:
            body["trades"] = self.trades
        if self.cl_ord_id is not None:
            body["cl_ord_id"] = self.cl_ord_id
        return body
