"""The paper account's rules, over plain values (no I/O, no clock): Kraken's size checks,
settlement of a fill, and how limit orders behave on paper.

A paper limit order crosses when a buy's limit reaches the ask (a sell's the bid). A
post-only one that would cross is refused with Kraken's text; one that crosses otherwise
fills at once at the touch as taker (paper quotes have no depth: in full), and an IOC one
that does not cross is cancelled. One that rests holds its remainder at the limit and the
taker fee (as Kraken holds it) and fills, in full and as maker at its limit, when a later
market read trades through it. On the bundled snapshot, whose prices never move, a resting
order fills at once at its limit, and its note says that this was assumed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal

from core.domain.models import ZERO, Market, Quote, Side
from core.domain.orders import OrderResult
from core.domain.sizing import fmt, truncate
from core.domain.statuses import OrderStatus
from core.errors import InsufficientFunds, OrderRejected

INVALID_VOLUME = "EGeneral:Invalid arguments:volume"
ORDER_MINIMUM = "EOrder:Order minimum not met"
COST_MINIMUM = "EOrder:Cost minimum not met"
INSUFFICIENT_FUNDS = "EOrder:Insufficient funds"
POST_ONLY_ORDER = "EOrder:Post only order"
UNKNOWN_ORDER = "EOrder:Unknown order"
USER_REQUESTED = "User requested"
IOC_CANCELLED = "Immediate or cancel"
ASSUMED_AT_LIMIT = "maker fill assumed at the limit (the bundled snapshot's prices never move)"
FALLBACK_TAKER_FEE = Decimal("0.004")


def check_size(amount: Decimal, cost: Decimal, market: Market) -> None:
    """Kraken's volume checks: precision, ordermin, then costmin."""
    if amount <= 0 or truncate(amount, market.amount_decimals) != amount:
        raise OrderRejected(
            f"{fmt(amount)} is not a positive {market.base} amount with at most "
            f"{market.amount_decimals} decimals",
            reason=INVALID_VOLUME,
        )
    if amount < market.order_min:
        raise OrderRejected(
            f"{fmt(amount)} {market.base} is below {market.symbol}'s minimum order "
            f"{fmt(market.order_min)}",
            reason=ORDER_MINIMUM,
        )
    if cost < market.cost_min:
        raise OrderRejected(
            f"{cost:.2f} {market.quote} is below {market.symbol}'s minimum cost "
            f"{fmt(market.cost_min)}",
            reason=COST_MINIMUM,
        )


def settle(
    balances: Mapping[str, Decimal],
    market: Market,
    fill: OrderResult,
    reserved: Mapping[str, Decimal] | None = None,
) -> dict[str, Decimal]:
    """The balances after `fill` (its amount, cost and fee), or InsufficientFunds when what
    is free (the balance less `reserved` for other orders) cannot pay for it."""
    base, quote = market.base, market.quote
    held_base, held_quote = balances.get(base, ZERO), balances.get(quote, ZERO)
    amount, cost, fee = fill.filled, fill.cost, fill.fee
    if fill.side is Side.BUY:
        need, have, asset = cost + fee, held_quote, quote
        after = {base: held_base + amount, quote: held_quote - cost - fee}
    else:
        need, have, asset = amount, held_base, base
        after = {base: held_base - amount, quote: held_quote + cost - fee}
    free = have - (reserved or {}).get(asset, ZERO)
    if need > free:
        raise InsufficientFunds(
            f"not enough {asset} to {fill.side} {fmt(amount)} {market.symbol}: "
            f"need {fmt(need)}, have {fmt(free)}",
            reason=INSUFFICIENT_FUNDS,
        )
    return {**balances, **after}


def crosses(side: Side, price: Decimal, quote: Quote) -> bool:
    """Would a `side` limit at `price` take liquidity at this quote?"""
    return price >= quote.ask if side is Side.BUY else price <= quote.bid


def held(order: OrderResult, taker_fee: Decimal) -> tuple[str, Decimal]:
    """(asset, amount) an open limit order reserves: its remainder at the limit, taker fee."""
    base, _, quote = order.symbol.partition("/")
    remaining = order.amount - order.filled
    if order.side is Side.SELL or order.limit_price is None:
        return base, remaining
    return quote, remaining * order.limit_price * (1 + taker_fee)


def holds(orders: Iterable[OrderResult], fees: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Funds reserved by the open limit orders among `orders`, per asset (`fees` by symbol)."""
    result: dict[str, Decimal] = {}
    for order in orders:
        if order.state is OrderStatus.OPEN and order.limit_price is not None:
            asset, amount = held(order, fees.get(order.symbol, FALLBACK_TAKER_FEE))
            result[asset] = result.get(asset, ZERO) + amount
    return result


def filled_at(
    order: OrderResult, price: Decimal, fee_rate: Decimal, maker_share: Decimal | None
) -> OrderResult:
    """`order` filled in full at `price` at `fee_rate` (`maker_share` of it as maker)."""
    cost = order.amount * price
    return replace(
        order,
        state=OrderStatus.FILLED,
        filled=order.amount,
        average_price=price,
        cost=cost,
        fee=cost * fee_rate,
        maker_share=maker_share,
    )


def traded_through(order: OrderResult, quote: Quote) -> bool:
    """Has the market moved through this resting order's limit?"""
    return (
        order.state is OrderStatus.OPEN
        and order.limit_price is not None
        and crosses(order.side, order.limit_price, quote)
    )


def cancelled(order: OrderResult, reason: str) -> OrderResult:
    """`order` closed: nothing more fills; what filled stays."""
    state = OrderStatus.PARTIAL if order.filled > 0 else OrderStatus.CANCELED
    return replace(order, state=state, reason=reason)
