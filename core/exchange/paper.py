"""The paper exchange: a simulated Kraken account that trades against real market rules.

Balances and orders persist through a `PaperBook` (the store). Market data comes from an
optional `market_source` (a public-only Kraken client) when it answers quickly, otherwise
from the bundled snapshot. Market orders fill at once and in full at the ask (buy) or the
bid (sell), with the pair's taker fee charged in the quote currency (Kraken's `fciq`).
Orders are refused exactly where Kraken would refuse them, with Kraken's texts as `reason`.
"""

from __future__ import annotations

import asyncio
import random
import re
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from core.app.ports import PaperBook
from core.domain.models import ZERO, Balances, Market, MarketData, Quote, Side
from core.domain.orders import OrderRequest, OrderResult, OrderType
from core.domain.sizing import fmt, truncate
from core.domain.statuses import OrderStatus
from core.errors import (
    ExchangeError,
    InsufficientFunds,
    MarketNotTradable,
    OrderRejected,
    UnknownPair,
)
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
INVALID_VOLUME = "EGeneral:Invalid arguments:volume"
ORDER_MINIMUM = "EOrder:Order minimum not met"
COST_MINIMUM = "EOrder:Cost minimum not met"
INSUFFICIENT_FUNDS = "EOrder:Insufficient funds"
UNKNOWN_PAIR = "EQuery:Unknown asset pair"


class MarketSource(Protocol):
    """Live public market data, e.g. a KrakenExchange without keys."""

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PaperExchange:
    """`core.app.ports.Exchange` over a simulated account; see the module docstring."""

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
        self._book = book
        self._seed = dict(seed)
        self._source = market_source
        self._now = now
        self._snapshot = snapshot or load_snapshot()
        self._timeout = source_timeout_s
        self._rng = rng or random.Random()
        self._source_paused_until: datetime | None = None

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        """From the market source when it answers in time, otherwise from the snapshot."""
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

    async def balances(self) -> Balances:
        """The simulated holdings; all tradable (paper has no staking)."""
        return Balances(tradable=self._balances())

    async def tradable_assets(self, quote: str) -> frozenset[str]:
        """Bases with an online market against `quote`, from the snapshot's market rules."""
        return self._snapshot.tradable(quote)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Fill a market order at once at ask/bid, or raise as Kraken would refuse it."""
        if request.order_type is not OrderType.MARKET:
            raise OrderRejected(
                "paper mode takes market orders only; limit orders are not simulated yet",
                reason="paper: limit orders not simulated",
            )
        if not _CLIENT_ID.fullmatch(request.client_id):
            raise OrderRejected(
                f"client order id {request.client_id!r} is not a UUID or ≤ 18 characters",
                reason=INVALID_CLIENT_ID,
            )
        market, quote = await self._tradable(request.symbol)
        price = quote.ask if request.side is Side.BUY else quote.bid
        cost = request.amount * price
        _check_size(request.amount, cost, market)
        fee = cost * market.taker_fee
        balances = _settle(self._balances(), market, request, cost, fee)
        order = OrderResult(
            client_id=request.client_id,
            exchange_id=self._order_id(),
            symbol=market.symbol,
            side=request.side,
            state=OrderStatus.FILLED,
            amount=request.amount,
            filled=request.amount,
            average_price=price,
            cost=cost,
            fee=fee,
            closed_at=self._now(),
        )
        self._book.record_paper_order(balances, order, order.closed_at or self._now())
        return order

    async def find_orders(self, client_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Recorded orders by client order id (the latest one if an id was reused)."""
        wanted = set(client_ids)
        orders = self._book.paper_orders()
        return {o.client_id: o for o in orders if o.client_id is not None and o.client_id in wanted}

    async def fetch_orders(self, exchange_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Recorded orders by exchange id; unknown ids are absent."""
        wanted = set(exchange_ids)
        return {o.exchange_id: o for o in self._book.paper_orders() if o.exchange_id in wanted}

    async def close(self) -> None:
        """Nothing to release: the book and the market source belong to the caller."""

    def _balances(self) -> dict[str, Decimal]:
        """The book's balances, seeded from PAPER_BALANCES the first time."""
        current = self._book.paper_balances()
        if current is None:
            self._book.seed_paper_balances(self._seed)
            current = dict(self._seed)
        return current

    def _source_paused(self) -> bool:
        return self._source_paused_until is not None and self._now() < self._source_paused_until

    async def _tradable(self, symbol: str) -> tuple[Market, Quote]:
        """The market and quote of `symbol`, or the error Kraken would give."""
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
        return market, quote

    def _order_id(self) -> str:
        """A random id shaped like Kraken's: OMHP5J-W3RDC-C7LHOO."""
        part = "".join(self._rng.choice(_ID_ALPHABET) for _ in range(16))
        return f"O{part[:5]}-{part[5:10]}-{part[10:]}"


def _check_size(amount: Decimal, cost: Decimal, market: Market) -> None:
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


def _settle(
    balances: Mapping[str, Decimal],
    market: Market,
    request: OrderRequest,
    cost: Decimal,
    fee: Decimal,
) -> dict[str, Decimal]:
    """The balances after the fill, or InsufficientFunds when they cannot pay for it."""
    base, quote = market.base, market.quote
    held_base, held_quote = balances.get(base, ZERO), balances.get(quote, ZERO)
    if request.side is Side.BUY:
        need, have, asset = cost + fee, held_quote, quote
        after = {base: held_base + request.amount, quote: held_quote - cost - fee}
    else:
        need, have, asset = request.amount, held_base, base
        after = {base: held_base - request.amount, quote: held_quote + cost - fee}
    if need > have:
        raise InsufficientFunds(
            f"not enough {asset} to {request.side} {fmt(request.amount)} {market.symbol}: "
            f"need {fmt(need)}, have {fmt(have)}",
            reason=INSUFFICIENT_FUNDS,
        )
    return {**balances, **after}
