"""Order requests and results exchanged with an exchange port. Pure values.

An `OrderRequest` is a market order unless it says otherwise: a limit order carries its
`limit_price` and may be post-only (it only ever rests: the maker fee, never the spread) or
immediate-or-cancel (it takes what its limit reaches at once, the rest is cancelled). Limit
prices are put on the market's tick grid by `limit_price_on_grid`, always on the side that
keeps the order's promise: buys down (never pay more), sells up (never sell for less).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from core.domain.models import ZERO, Market, Side
from core.domain.statuses import OrderStatus


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class TimeInForce(StrEnum):
    GTC = "GTC"  # good till cancelled: rests until filled or cancelled
    IOC = "IOC"  # immediate or cancel: what does not fill at once is cancelled


@dataclass(frozen=True)
class OrderRequest:
    """An order to place. `client_id` goes to Kraken as `cl_ord_id`; market by default."""

    client_id: str
    symbol: str  # "BTC/EUR"
    side: Side
    amount: Decimal
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None  # required for (and only for) limit orders
    post_only: bool = False  # limit orders only: refused rather than take liquidity
    time_in_force: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        problem = self.problem()
        if problem:
            raise ValueError(problem)

    def problem(self) -> str:
        """Why this combination cannot be sent ("" when it can)."""
        limit = self.order_type is OrderType.LIMIT
        if limit != (self.limit_price is not None):
            return "a limit order needs a limit price, and only a limit order has one"
        if self.limit_price is not None and self.limit_price <= 0:
            return "a limit price must be positive"
        if self.post_only and (not limit or self.time_in_force is TimeInForce.IOC):
            return "post-only is for limit orders that rest (not market, not IOC)"
        return ""


@dataclass(frozen=True)
class OrderAmend:
    """A change to a resting limit order, in place: it keeps its ids and its fills.

    `amount` is the new *total* quantity, the filled part included (Kraken's `order_qty`);
    an amount at or below what is filled cancels the rest. `post_only` refuses an amend
    that would make the order take liquidity.
    """

    symbol: str
    side: Side  # the order's side: a new limit price is put on the grid on its safe side
    exchange_id: str | None = None  # Kraken txid; or
    client_id: str | None = None  # cl_ord_id
    limit_price: Decimal | None = None
    amount: Decimal | None = None
    post_only: bool = True

    def __post_init__(self) -> None:
        if (self.exchange_id is None) == (self.client_id is None):
            raise ValueError("an amend names the order by exchange id or by client id")
        if self.limit_price is None and self.amount is None:
            raise ValueError("an amend changes the limit price, the amount, or both")


@dataclass(frozen=True)
class AmendResult:
    """The exchange accepted an amend: what was sent, on the grid, and Kraken's amend id."""

    amend_id: str
    exchange_id: str | None
    client_id: str | None
    limit_price: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True)
class OrderResult:
    """An order as the exchange reports it."""

    client_id: str | None
    exchange_id: str
    symbol: str
    side: Side
    state: OrderStatus
    amount: Decimal
    filled: Decimal = ZERO
    average_price: Decimal | None = None
    cost: Decimal = ZERO  # quote units actually traded
    fee: Decimal = ZERO  # in quote units
    reason: str = ""  # why it was closed or refused, in the exchange's words
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    post_only: bool = False
    # Share of `filled` that traded as maker: 1 for post-only orders, 0 for market orders,
    # None when the exchange does not say (Kraken's order record never does).
    maker_share: Decimal | None = None
    note: str = ""  # e.g. paper: "maker fill assumed at the limit"
    fee_currency: str = ""  # "" when the exchange does not say (Kraken: the quote, by default)
    closed_at: datetime | None = None  # when the exchange closed it, if it says

    @property
    def done(self) -> bool:
        return self.state is not OrderStatus.OPEN


def limit_price_on_grid(market: Market, side: Side, price: Decimal) -> Decimal:
    """`price` on the market's tick grid: down for a buy, up for a sell."""
    tick = market.price_tick
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    steps = (price / tick).to_integral_value(rounding=rounding)
    return (steps * tick).quantize(Decimal(1).scaleb(-market.price_decimals))
