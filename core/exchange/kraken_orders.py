"""The trading calls of the Kraken adapter: AddOrder, AmendOrder and CancelOrder, through ccxt.

Each call is sent exactly once and never retried. A definite refusal raises it
(`OrderRejected` and its subclasses such as `PostOnlyRejected`, `UnknownOrder`,
`RateLimited`...); a lost or unreadable answer raises `OrderOutcomeUnknown` (AddOrder),
`AmendOutcomeUnknown` or `CancelOutcomeUnknown`, and the caller reads the order before
doing anything else with it. Limit prices go out on the pair's tick grid
(`limit_price_on_grid`: buys down, sells up) and volumes truncated to its lot decimals, so
what the caller journaled is what Kraken receives. A cancel is confirmed by reading the
order back: its fills and final state are returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal, localcontext
from typing import Any

from core.domain.models import Market, Side
from core.domain.orders import (
    AmendResult,
    OrderAmend,
    OrderRequest,
    OrderResult,
    OrderType,
    TimeInForce,
    limit_price_on_grid,
)
from core.domain.statuses import OrderStatus
from core.errors import (
    AmendOutcomeUnknown,
    CancelOutcomeUnknown,
    MarketNotTradable,
    OrderOutcomeUnknown,
    OrderRejected,
    UnknownOrder,
    UnknownPair,
)
from core.exchange.kraken_client import KrakenClient
from core.exchange.kraken_errors import for_change, for_order, translate
from core.exchange.kraken_order_parse import (
    first_txid,
    maker_share,
    order_from_raw,
    order_volume,
)
from core.exchange.kraken_parse import (
    MarketCatalog,
    result_of,
)
from core.logs import get_logger

log = get_logger(__name__)

Read = Callable[[str, dict[str, Any]], Awaitable[Any]]
UNKNOWN_ORDER = "EOrder:Unknown order"


class OrderDesk:
    """Places, amends and cancels orders on one Kraken account."""

    def __init__(
        self,
        client: KrakenClient,
        markets: Callable[[], Awaitable[MarketCatalog]],
        read: Read,
        secrets: Callable[[], tuple[str, ...]],
    ) -> None:
        self._client = client
        self._markets = markets
        self._read = read
        self._secrets = secrets

    # -- AddOrder ------------------------------------------------------------------------------

    async def place(self, request: OrderRequest) -> OrderResult:
        """Send one order with `cl_ord_id`: market, limit, post-only or IOC limit."""
        market = await self._tradable(request)
        volume = order_volume(market, request.amount)
        price = _limit_price(market, request)
        params: dict[str, Any] = {"clientOrderId": request.client_id, "oflags": "fciq"}
        if request.post_only:
            params["postOnly"] = True
        if request.order_type is OrderType.LIMIT and request.time_in_force is TimeInForce.IOC:
            params["timeInForce"] = TimeInForce.IOC.value
        try:
            with localcontext():  # ccxt's precision helpers set ROUND_HALF_UP on the context
                order = await self._client.create_order(
                    market.symbol, request.order_type.value, request.side.value, volume, price,
                    params,
                )  # fmt: skip
        except Exception as e:
            raise for_order(translate(e, secrets=self._secrets()), request.client_id) from e
        txid = first_txid(order.get("info") if isinstance(order, dict) else None)
        if txid is None:
            raise OrderOutcomeUnknown(
                f"Kraken accepted order {request.client_id} without returning its id; "
                "look it up by its client order id, never send it again",
                reason="AddOrder answered without a txid",
            )
        log.info("order placed", client_id=request.client_id, txid=txid, volume=volume, price=price)
        return OrderResult(
            client_id=request.client_id,
            exchange_id=txid,
            symbol=market.symbol,
            side=request.side,
            state=OrderStatus.OPEN,
            amount=Decimal(volume),
            order_type=request.order_type,
            limit_price=None if price is None else Decimal(price),
            post_only=request.post_only,
            maker_share=maker_share(request.order_type, post_only=request.post_only),
        )

    async def _tradable(self, request: OrderRequest) -> Market:
        market = await self._market(request.symbol)
        status = market.status
        accepted = market.online or (
            request.order_type is OrderType.LIMIT
            and (status == "limit_only" or (status == "post_only" and request.post_only))
        )
        if not accepted:
            raise MarketNotTradable(
                f"{request.symbol} is {status} on Kraken, not online; order not sent",
                reason=status,
            )
        return market

    async def _market(self, symbol: str) -> Market:
        market = (await self._markets()).by_symbol(symbol)
        if market is None:
            raise UnknownPair(f"Kraken has no {symbol} market; order not sent", reason=symbol)
        return market

    # -- AmendOrder ----------------------------------------------------------------------------

    async def amend(self, amend: OrderAmend) -> AmendResult:
        """Move a resting order's limit price and/or quantity in place (one AmendOrder).

        The order keeps its txid, its `cl_ord_id` and its fills. Raises `PostOnlyRejected`
        when a post-only amend would cross, `UnknownOrder` when the order is no longer open,
        `AmendOutcomeUnknown` when the answer was lost.
        """
        market = await self._market(amend.symbol)
        price = None
        if amend.limit_price is not None:
            price = _on_grid(market, amend.side, amend.limit_price)
        volume = None if amend.amount is None else order_volume(market, amend.amount)
        params: dict[str, Any] = {"postOnly": True} if amend.post_only else {}
        if amend.client_id is not None:
            params["clientOrderId"] = amend.client_id
        which = _which(amend.exchange_id, amend.client_id)
        try:
            with localcontext():  # as for create_order: keep ccxt's rounding to itself
                answer = await self._client.edit_order(
                    amend.exchange_id, market.symbol, "limit", amend.side.value, volume, price,
                    params,
                )  # fmt: skip
        except Exception as e:
            error = translate(e, secrets=self._secrets())
            raise for_change(error, f"amend of {which}", AmendOutcomeUnknown) from e
        amend_id = _info(answer).get("amend_id")
        if not isinstance(amend_id, str) or not amend_id:
            raise AmendOutcomeUnknown(
                f"Kraken answered the amend of {which} without an amend id; read the order",
                reason="AmendOrder answered without an amend_id",
            )
        log.info("order amended", order=which, amend_id=amend_id, price=price, volume=volume)
        return AmendResult(
            amend_id=amend_id,
            exchange_id=amend.exchange_id,
            client_id=amend.client_id,
            limit_price=None if price is None else Decimal(price),
            amount=None if volume is None else Decimal(volume),
        )

    # -- CancelOrder ---------------------------------------------------------------------------

    async def cancel(self, exchange_id: str | None, client_id: str | None) -> OrderResult:
        """Cancel one open order by txid or `cl_ord_id`, then read it back: its final state.

        An order that is no longer open (filled or cancelled meanwhile) is not an error: it is
        read and returned as it is. `UnknownOrder` only when Kraken knows no such order at
        all; `CancelOutcomeUnknown` when the cancel's answer was lost.
        """
        if (exchange_id is None) == (client_id is None):
            raise ValueError("cancel an order by exchange id or by client id")
        which = _which(exchange_id, client_id)
        ident = {"txid": exchange_id} if exchange_id is not None else {"cl_ord_id": client_id}
        try:
            await self._client.private_post_cancelorder(ident)
            log.info("order cancelled", order=which)
        except Exception as e:
            error = translate(e, secrets=self._secrets())
            if not isinstance(error, UnknownOrder):
                raise for_change(error, f"cancel of {which}", CancelOutcomeUnknown) from e
            log.info("order to cancel was not open", order=which)
        found = await self._read_back(exchange_id, client_id)
        if found is None:
            raise UnknownOrder(f"Kraken knows no order {which}", reason=UNKNOWN_ORDER)
        return found

    async def _read_back(
        self, exchange_id: str | None, client_id: str | None
    ) -> OrderResult | None:
        """The order's state now: QueryOrders by txid, ClosedOrders/OpenOrders by client id."""
        market_of = (await self._markets()).by_pair
        if exchange_id is not None:
            answer = await self._read("QueryOrders", {"txid": exchange_id})
            raw = result_of(answer)
            return order_from_raw(exchange_id, raw[exchange_id], market_of) if raw else None
        for endpoint, key in (("ClosedOrders", "closed"), ("OpenOrders", "open")):
            answer = await self._read(endpoint, {"cl_ord_id": client_id})
            for txid, info in result_of(answer, key).items():
                if isinstance(info, dict) and info.get("cl_ord_id") == client_id:
                    return order_from_raw(txid, info, market_of)
        return None


def _limit_price(market: Market, request: OrderRequest) -> str | None:
    """The limit price as sent (on the grid), or None for a market order."""
    if request.limit_price is None:
        return None
    return _on_grid(market, request.side, request.limit_price)


def _on_grid(market: Market, side: Side, price: Decimal) -> str:
    on_grid = limit_price_on_grid(market, side, price)
    if on_grid <= 0:
        raise OrderRejected(
            f"limit price {price} is zero on {market.symbol}'s price grid; order not sent",
            reason="price below the market's precision",
        )
    return f"{on_grid:f}"


def _info(answer: object) -> dict[str, Any]:
    info = answer.get("info") if isinstance(answer, dict) else None
    return info if isinstance(info, dict) else {}


def _which(exchange_id: str | None, client_id: str | None) -> str:
    if exchange_id is not None:
        return f"order {exchange_id}"
    return f"order with client id {client_id}"
