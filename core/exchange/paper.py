"""The paper exchange: a simulated Kraken account that trades against real market rules.

Balances and orders persist through a `PaperBook` (the store). Market data comes from an
optional `market_source` (a public-only Kraken client) when it answers quickly, otherwise
from the bundled snapshot. Market orders fill at once and in full at the ask (buy) or the
bid (sell), with the pair's taker fee charged in the quote currency (Kraken's `fciq`).
Limit orders (post-only, IOC) follow `paper_rules`: a resting one holds its funds and fills
as maker at its limit when a later market read trades through it; on the bundled snapshot
it fills at once at its limit, saying that this was assumed. Orders are refused exactly
where Kraken would refuse them, with Kraken's texts as `reason`.
"""

from __future__ import annotations

import asyncio
import random
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from core.app.ports import PaperBook
from core.domain.models import ZERO, Balances, Market, MarketData, Quote, Side
from core.domain.orders import (
    AmendResult,
    OrderAmend,
    OrderRequest,
    OrderResult,
    OrderType,
    TimeInForce,
    limit_price_on_grid,
)
from core.domain.sizing import truncate
from core.domain.statuses import OrderStatus
from core.errors import (
    ExchangeError,
    MarketNotTradable,
    OrderRejected,
    PostOnlyRejected,
    UnknownOrder,
    UnknownPair,
)
from core.exchange import paper_rules as rules
from core.exchange.paper_account import ONE, PaperAccount
from core.exchange.snapshot import Snapshot, load_snapshot
from core.logs import get_logger

log = get_logger(__name__)

_CLIENT_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # UUID
    r"|[0-9a-fA-F]{32}"  # UUID without dashes
    r"|[\x21-\x7e]{1,18}"  # free text: up to 18 printable ASCII characters
)
_ID_ALPHABET = string.ascii_uppercase + string.digits
_SOURCE_PAUSE = timedelta(minutes=5)  # after a failed market source, use the snapshot this long

INVALID_CLIENT_ID = "EGeneral:Invalid arguments:cl_ord_id"
UNKNOWN_PAIR = "EQuery:Unknown asset pair"


class MarketSource(Protocol):
    """Live public market data, e.g. a KrakenExchange without keys."""

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PaperExchange:
    """`core.app.ports.MakerExchange` over a simulated account; see the module docstring."""

    name = "paper"

    def __init__(
        self,
        book: PaperBook,
        seed: Mapping[str, Decimal],
        *,
        market_source: MarketSource | None = None,
        now: Callable[[], datetime] = _utc_now,
        snapshot: Snapshot | None = None,
        source_timeout_s: float = 5.0,
        rng: random.Random | None = None,
    ) -> None:
        self._source = market_source
        self._now = now
        self._snapshot = snapshot or load_snapshot()
        self._rng = rng or random.Random()
        self._account = PaperAccount(book, seed, self._snapshot, now, self._order_id)
        self._timeout = source_timeout_s
        self._source_paused_until: datetime | None = None

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        """From the market source when it answers in time, otherwise from the snapshot.

        Live prices fill the resting orders they trade through (in full, as maker).
        """
        data = await self._read(assets, quote)
        if not data.source.is_snapshot:
            self._account.fill_traded_through(data)
        return data

    async def balances(self) -> Balances:
        """The simulated holdings; funds held by resting orders are `X (open orders)`."""
        balances, reserved = self._account.balances(), self._account.holds()
        tradable = {a: v - reserved.get(a, ZERO) for a, v in balances.items()}
        untradable = {f"{a} (open orders)": v for a, v in reserved.items() if v > 0}
        return Balances(tradable=tradable, untradable=untradable)

    async def tradable_assets(self, quote: str) -> frozenset[str]:
        """Bases with an online market against `quote`, from the snapshot's market rules."""
        return self._snapshot.tradable(quote)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Fill, rest or refuse one order as Kraken would (see the module docstring)."""
        if not _CLIENT_ID.fullmatch(request.client_id):
            raise OrderRejected(
                f"client order id {request.client_id!r} is not a UUID or ≤ 18 characters",
                reason=INVALID_CLIENT_ID,
            )
        market, quote, priced_live = await self._tradable(request.symbol)
        order = _new_order(request, market)
        if order.limit_price is None or rules.crosses(order.side, order.limit_price, quote):
            if request.post_only:
                raise PostOnlyRejected(
                    f"a post-only {order.side} at {order.limit_price} would take liquidity "
                    f"on {order.symbol}: not placed",
                    reason=rules.POST_ONLY_ORDER,
                )
            return self._take(order, market, quote)
        rules.check_size(order.amount, order.amount * order.limit_price, market)
        if request.time_in_force is TimeInForce.IOC:
            return self._account.record(rules.cancelled(order, rules.IOC_CANCELLED))
        self._account.check_free(order, market)
        if not priced_live:
            filled = rules.filled_at(order, order.limit_price, market.maker_fee_or_taker, ONE)
            return self._account.record(replace(filled, note=rules.ASSUMED_AT_LIMIT), market)
        return self._account.record(order)

    async def amend_order(self, amend: OrderAmend) -> AmendResult:
        """Move a resting paper order's limit and/or amount; it keeps its ids and fills."""
        market, quote, _ = await self._tradable(amend.symbol)  # may fill it: read it after
        order = self._account.open_order(amend.exchange_id, amend.client_id)
        price = order.limit_price
        if amend.limit_price is not None:
            price = limit_price_on_grid(market, order.side, amend.limit_price)
        amount = order.amount
        if amend.amount is not None:
            amount = truncate(amend.amount, market.amount_decimals)
        moved = replace(order, limit_price=price, amount=amount)
        assert price is not None
        if (amend.post_only or order.post_only) and rules.crosses(order.side, price, quote):
            raise PostOnlyRejected(
                f"the amend of {order.exchange_id} to {price} would take liquidity: not applied",
                reason=rules.POST_ONLY_ORDER,
            )
        if amount <= order.filled:
            self._account.record(rules.cancelled(order, rules.USER_REQUESTED))
        elif rules.crosses(order.side, price, quote):
            self._take(moved, market, quote)
        else:
            self._account.check_free(moved, market, replacing=order)
            self._account.record(moved)
        amend_id = "T" + self._order_id()[1:]
        sent = None if amend.amount is None else amount
        return AmendResult(amend_id, amend.exchange_id, amend.client_id, price, sent)

    async def cancel_order(
        self, *, exchange_id: str | None = None, client_id: str | None = None
    ) -> OrderResult:
        """Cancel a resting paper order; one already closed is returned as it is."""
        order = self._account.order(exchange_id, client_id)
        if order is None:
            which = exchange_id or client_id
            raise UnknownOrder(f"no paper order {which}", reason=rules.UNKNOWN_ORDER)
        if order.state is not OrderStatus.OPEN:
            return order
        return self._account.record(rules.cancelled(order, rules.USER_REQUESTED))

    async def touch(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Best bid and ask of each symbol: one market read per quote currency."""
        by_quote: dict[str, list[str]] = {}
        for symbol in dict.fromkeys(symbols):
            base, _, quote = symbol.partition("/")
            by_quote.setdefault(quote, []).append(base)
        found: dict[str, Quote] = {}
        for quote, bases in by_quote.items():
            data = await self.market_data(bases, quote)
            found |= {q.symbol: q for q in data.quotes.values()}
        return found

    async def find_orders(self, client_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Recorded orders by client order id (the latest one if an id was reused)."""
        wanted = set(client_ids)
        orders = self._account.orders()
        return {o.client_id: o for o in orders if o.client_id is not None and o.client_id in wanted}

    async def fetch_orders(self, exchange_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Recorded orders by exchange id; unknown ids are absent."""
        wanted = set(exchange_ids)
        return {o.exchange_id: o for o in self._account.orders() if o.exchange_id in wanted}

    async def close(self) -> None:
        """Nothing to release: the book and the market source belong to the caller."""

    def _take(self, order: OrderResult, market: Market, quote: Quote) -> OrderResult:
        """Fill `order` at once at the touch, in full, as taker."""
        price = quote.ask if order.side is Side.BUY else quote.bid
        rules.check_size(order.amount, order.amount * price, market)
        share = None if order.order_type is OrderType.MARKET else ZERO
        filled = rules.filled_at(order, price, market.taker_fee, share)
        return self._account.record(filled, market)

    # -- market data ----------------------------------------------------------------------------

    async def _read(self, assets: Sequence[str], quote: str) -> MarketData:
        if self._source is None or self._source_paused():
            return self._snapshot.market_data(assets, quote)
        try:
            return await asyncio.wait_for(self._source.market_data(assets, quote), self._timeout)
        except (ExchangeError, OSError, TimeoutError) as e:
            self._source_paused_until = self._now() + _SOURCE_PAUSE
            log.warning(
                "paper.market_source_failed",
                error=f"{type(e).__name__}: {e}",
                fallback=self._snapshot.source.note,
            )
            return self._snapshot.market_data(assets, quote)

    def _source_paused(self) -> bool:
        return self._source_paused_until is not None and self._now() < self._source_paused_until

    async def _tradable(self, symbol: str) -> tuple[Market, Quote, bool]:
        """The market and quote of `symbol` (and whether live), or the error Kraken would give."""
        base, _, quote_currency = symbol.partition("/")
        if not base or not quote_currency:
            raise UnknownPair(f"unknown asset pair {symbol!r}", reason=UNKNOWN_PAIR)
        data = await self.market_data([base], quote_currency)
        market, quote = data.markets.get(base), data.quotes.get(base)
        if market is None:
            raise UnknownPair(f"unknown asset pair {symbol}", reason=UNKNOWN_PAIR)
        if not market.online:
            reason = f"EService:Market in {market.status} mode"
            raise MarketNotTradable(f"{symbol} is {market.status}, not online", reason=reason)
        if quote is None or quote.bid <= 0 or quote.ask <= 0:
            why = data.blocked.get(base) or f"no {symbol} price"
            raise OrderRejected(f"cannot fill {symbol}: {why}", reason=why)
        return market, quote, not data.source.is_snapshot

    def _order_id(self) -> str:
        """A random id shaped like Kraken's: OMHP5J-W3RDC-C7LHOO."""
        part = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(16))
        return f"O{part[:5]}-{part[5:10]}-{part[10:]}"


def _new_order(request: OrderRequest, market: Market) -> OrderResult:
    """The order as booked, its limit price on the market's grid; the account gives it its
    exchange id once it is accepted."""
    limit = request.limit_price
    if limit is not None:
        limit = limit_price_on_grid(market, request.side, limit)
    return OrderResult(
        client_id=request.client_id,
        exchange_id="",
        symbol=market.symbol,
        side=request.side,
        state=OrderStatus.OPEN,
        amount=request.amount,
        order_type=request.order_type,
        limit_price=limit,
        post_only=request.post_only,
        maker_share=Decimal(1) if request.post_only else None,
    )
