"""Pure parsing of Kraken's raw order records (QueryOrders, OpenOrders, ClosedOrders, AddOrder)
into domain values, and the volume an order is sent with. As in `kraken_parse`: numbers from
Kraken's own strings, never through floats; a malformed record is refused, never guessed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from core.domain.models import ZERO, Market, Side
from core.domain.orders import OrderResult, OrderType
from core.domain.statuses import OrderStatus
from core.errors import ExchangeUnavailable, OrderRejected
from core.exchange.kraken_parse import DONE_STATUSES, to_decimal


def order_state(status: str, amount: Decimal, filled: Decimal) -> OrderStatus:
    """Kraken's order status and fill as the domain's state."""
    if status not in DONE_STATUSES:  # pending, open, or a status Kraken may add later
        return OrderStatus.OPEN
    if status == "closed" and amount > 0 and filled >= amount:
        return OrderStatus.FILLED
    return OrderStatus.PARTIAL if filled > 0 else OrderStatus.CANCELED


def order_from_raw(
    txid: str, info: Mapping[str, Any], market_of: Callable[[str], Market | None]
) -> OrderResult:
    """An `OrderResult` from one raw order of QueryOrders, OpenOrders or ClosedOrders."""
    descr = info.get("descr") or {}
    pair = str(descr.get("pair") or "")
    market = market_of(pair)
    amount = to_decimal(info.get("vol")) or ZERO
    filled = to_decimal(info.get("vol_exec")) or ZERO
    average = to_decimal(info.get("price"))
    order_type, limit = _type_and_limit(descr)
    post_only = "post" in str(info.get("oflags") or "").split(",")
    side = _side(txid, descr)
    return OrderResult(
        client_id=info.get("cl_ord_id") or None,
        exchange_id=txid,
        symbol=market.symbol if market is not None else pair,
        side=side,
        state=order_state(str(info.get("status")), amount, filled),
        amount=amount,
        filled=filled,
        average_price=average if average is not None and average > 0 else None,
        cost=to_decimal(info.get("cost")) or ZERO,
        fee=to_decimal(info.get("fee")) or ZERO,
        reason=str(info.get("reason") or ""),
        order_type=order_type,
        limit_price=limit,
        post_only=post_only,
        maker_share=maker_share(order_type, post_only=post_only),
        closed_at=epoch_time(info.get("closetm")),
    )


def _side(txid: str, descr: Mapping[str, Any]) -> Side:
    """buy or sell; a record without either is malformed: refused as an answer we cannot
    read (the order stays unresolved, asked about again), never a crash."""
    try:
        return Side(str(descr.get("type")))
    except ValueError:
        raise ExchangeUnavailable(f"Kraken's record of order {txid} has no side") from None


def _type_and_limit(descr: Mapping[str, Any]) -> tuple[OrderType, Decimal | None]:
    """Market, or limit with its price; other Kraken order types count as market."""
    if descr.get("ordertype") != "limit":
        return OrderType.MARKET, None
    price = to_decimal(descr.get("price"))
    return OrderType.LIMIT, price if price is not None and price > 0 else None


def maker_share(order_type: OrderType, *, post_only: bool) -> Decimal | None:
    """What Kraken's order record implies: post-only orders only make, market orders only
    take; of any other limit order it cannot say."""
    if post_only:
        return Decimal(1)
    return ZERO if order_type is OrderType.MARKET else None


def epoch_time(raw: object) -> datetime | None:
    """Kraken's "1705260547.4728658" (seconds since the epoch) as an aware UTC time."""
    seconds = to_decimal(raw)
    if seconds is None or seconds <= 0:
        return None
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def orders_by_client_id(
    raw_orders: Mapping[str, Any],
    client_ids: Iterable[str],
    market_of: Callable[[str], Market | None],
) -> dict[str, OrderResult]:
    """The raw orders whose `cl_ord_id` is one of `client_ids`, keyed by that id."""
    wanted = set(client_ids)
    return {
        info["cl_ord_id"]: order_from_raw(txid, info, market_of)
        for txid, info in raw_orders.items()
        if isinstance(info, Mapping) and info.get("cl_ord_id") in wanted
    }


def order_volume(market: Market, amount: Decimal) -> str:
    """`amount` truncated (never rounded up) to the market's lot decimals, as sent to Kraken."""
    volume = amount.quantize(Decimal(1).scaleb(-market.amount_decimals), rounding=ROUND_DOWN)
    if volume <= 0:
        raise OrderRejected(
            f"{amount} {market.base} is zero at {market.amount_decimals} decimals; order not sent",
            reason="amount below the market's precision",
        )
    return f"{volume:f}"


def first_txid(info: object) -> str | None:
    """The order id of an AddOrder result (`{"txid": ["O..."], ...}`), if it has one."""
    txids = info.get("txid") if isinstance(info, Mapping) else None
    if isinstance(txids, list) and txids and isinstance(txids[0], str) and txids[0]:
        return txids[0]
    return None
