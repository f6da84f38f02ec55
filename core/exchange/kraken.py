"""`KrakenExchange`: the `Exchange` port on Kraken's spot REST API, through ccxt.

Markets (Assets + AssetPairs) are loaded once and refreshed at most daily; prices come in
one Ticker request per `market_data` (or `touch`, for a whole wave's best bid and ask).
Reads are retried with backoff on temporary errors only. An order, amend or cancel is sent
exactly once (`kraken_orders`): a definite refusal raises `OrderRejected` (or another
definite error), a lost answer `OrderOutcomeUnknown` (or its amend/cancel kin), and the
caller looks the order up. Every ccxt exception is translated (`kraken_errors`); private
calls are paced and serialized (`pacing`); answers that are not Kraken's envelope are
refused (`kraken_client`). The API key and secret live only inside the ccxt client.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from core.app.meter import CallMeter
from core.domain.models import Balances, DataSource, Market, MarketData, Quote
from core.domain.orders import AmendResult, OrderAmend, OrderRequest, OrderResult
from core.errors import ExchangeError, TemporaryError, UnknownPair
from core.exchange.kraken_client import KrakenClient
from core.exchange.kraken_errors import for_read, translate
from core.exchange.kraken_order_parse import (
    order_from_raw,
    orders_by_client_id,
)
from core.exchange.kraken_orders import OrderDesk
from core.exchange.kraken_parse import (
    MarketCatalog,
    account_maker_fees,
    account_taker_fees,
    balances_from_raw,
    quote_from_ticker,
    result_of,
    unusable_reason,
)
from core.exchange.pacing import PrivateGate, RestCounter, tier_named
from core.logs import get_logger

T = TypeVar("T")
DEFAULT_API_URL = "https://api.kraken.com"
MARKETS_TTL_S = 24 * 60 * 60
QUERY_ORDERS_MAX = 50  # txids per QueryOrders request

log = get_logger(__name__)


class KrakenExchange:
    """A Kraken spot account (or, without keys, Kraken's public market data)."""

    name = "kraken"

    def __init__(
        self,
        *,
        api_url: str = DEFAULT_API_URL,
        api_key: str | None = None,
        api_secret: str | None = None,
        tier: str = "starter",
        timeout_s: float = 10,
        retry_delays: Sequence[float] = (0.5, 1, 2),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        meter: CallMeter | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.tier = tier_named(tier)
        self._retry_delays = tuple(retry_delays)
        self._clock = clock
        self._sleep = sleep
        gate = PrivateGate(RestCounter(self.tier), clock=clock, sleep=sleep)
        config: dict[str, Any] = {
            "enableRateLimit": False,  # pacing is ours: computed waits, never a fixed delay
            "timeout": round(timeout_s * 1000),
            "urls": {"api": {"public": self.api_url, "private": self.api_url}},
        }
        if api_key and api_secret:
            config |= {"apiKey": api_key, "secret": api_secret}
        if self.api_url.startswith("http://"):
            config["timeout_on_exit"] = 0  # ccxt's 250 ms close() grace is for TLS sockets
        self._client = KrakenClient(config, gate, meter)
        self._catalog: MarketCatalog | None = None
        self._catalog_lock = asyncio.Lock()
        self._desk = OrderDesk(self._client, self._markets, self._private_read, self._secrets)

    def __repr__(self) -> str:
        keys = "with keys" if self._has_keys else "public only"
        return f"KrakenExchange(api_url={self.api_url!r}, tier={self.tier.name!r}, {keys})"

    @property
    def _has_keys(self) -> bool:
        return bool(self._client.apiKey and self._client.secret)

    # -- the port ------------------------------------------------------------------------------

    async def market_data(self, assets: Sequence[str], quote: str) -> MarketData:
        """Markets (cached) and fresh quotes for `assets` against `quote`, in ONE Ticker call."""
        wanted = [a for a in dict.fromkeys(assets) if a != quote]
        try:
            catalog, markets, tickers = await self._priced(wanted, quote)
        except UnknownPair:  # a cached pair was delisted since the markets were loaded
            log.warning("kraken Ticker refused a cached pair: reloading the markets")
            catalog, markets, tickers = await self._priced(wanted, quote, refresh=True)
        quotes = {
            a: q
            for a, m in markets.items()
            if (q := quote_from_ticker(m.symbol, catalog.pick(tickers, m))) is not None
        }
        blocked = {a: f"no {a}/{quote} market on Kraken" for a in wanted if a not in markets}
        blocked |= {a: why for a, m in markets.items() if (why := unusable_reason(m, a in quotes))}
        source = DataSource(name="kraken", as_of=datetime.now(UTC))
        return MarketData(quote, markets, quotes, source, blocked)

    async def balances(self) -> Balances:
        """Current holdings from one BalanceEx request."""
        await self._markets()  # ccxt names assets (XETH -> ETH) from the Assets list
        balance = await self._read("BalanceEx", self._client.fetch_balance)
        return balances_from_raw(result_of(balance.get("info")), self._client.safe_currency_code)

    async def tradable_assets(self, quote: str) -> frozenset[str]:
        """Bases with an `online` market against `quote`."""
        catalog = await self._markets()
        return frozenset(m.base for m in catalog.markets if m.quote == quote and m.online)

    async def place_order(self, request: OrderRequest) -> OrderResult:
        """Send one order (market, limit, post-only or IOC limit) with `cl_ord_id`, once.

        Definite refusals raise `OrderRejected` (and subclasses: `PostOnlyRejected` for a
        post-only order that would cross), `UnknownPair`, `AuthenticationError`,
        `RateLimited` or `NonceRejected`; a lost or unreadable answer raises
        `OrderOutcomeUnknown`. Before anything is sent, loading the markets may raise a read
        error such as `ExchangeUnavailable`: then nothing was sent either.
        """
        return await self._desk.place(request)

    async def amend_order(self, amend: OrderAmend) -> AmendResult:
        """Move a resting limit order's price and/or quantity in place (one AmendOrder)."""
        return await self._desk.amend(amend)

    async def cancel_order(
        self, *, exchange_id: str | None = None, client_id: str | None = None
    ) -> OrderResult:
        """Cancel one order (by txid or client id) and return its confirmed final state."""
        return await self._desk.cancel(exchange_id, client_id)

    async def touch(self, symbols: Sequence[str]) -> dict[str, Quote]:
        """Best bid and ask of every known symbol in ONE Ticker request (unknown ones absent)."""
        catalog = await self._markets()
        markets = [m for s in dict.fromkeys(symbols) if (m := catalog.by_symbol(s)) is not None]
        tickers = await self._tickers(catalog, markets)
        return {
            m.symbol: q
            for m in markets
            if (q := quote_from_ticker(m.symbol, catalog.pick(tickers, m))) is not None
        }

    async def find_orders(self, client_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Orders by client order id: all open orders, the latest closed ones, then per id."""
        wanted = list(dict.fromkeys(client_ids))
        if not wanted:
            return {}
        market_of = (await self._markets()).by_pair
        open_ = await self._private_read("OpenOrders", {})
        found = orders_by_client_id(result_of(open_, "open"), wanted, market_of)
        closed = await self._private_read("ClosedOrders", {})  # the latest 50 closed orders
        found |= orders_by_client_id(result_of(closed, "closed"), wanted, market_of)
        for client_id in [c for c in wanted if c not in found]:
            one = await self._private_read("ClosedOrders", {"cl_ord_id": client_id})
            found |= orders_by_client_id(result_of(one, "closed"), [client_id], market_of)
        return found

    async def fetch_orders(self, exchange_ids: Sequence[str]) -> dict[str, OrderResult]:
        """Orders by txid in one QueryOrders request (per 50 ids)."""
        ids = list(dict.fromkeys(exchange_ids))
        if not ids:
            return {}
        catalog = await self._markets()
        orders: dict[str, OrderResult] = {}
        for start in range(0, len(ids), QUERY_ORDERS_MAX):
            txids = ",".join(ids[start : start + QUERY_ORDERS_MAX])
            answer = await self._private_read("QueryOrders", {"txid": txids})
            for txid, info in result_of(answer).items():
                orders[txid] = order_from_raw(txid, info, catalog.by_pair)
        return orders

    async def close(self) -> None:
        """Close ccxt's HTTP session."""
        await self._client.close()

    # -- markets and fees -------------------------------------------------------------------

    async def _markets(self, *, refresh: bool = False) -> MarketCatalog:
        """The cached markets, loaded on first use and again once a day old (or `refresh`)."""
        async with self._catalog_lock:
            catalog = self._catalog
            if refresh or catalog is None or self._clock() - catalog.loaded_at >= MARKETS_TTL_S:
                reload = catalog is not None
                loaded = await self._read(
                    "AssetPairs", lambda: self._client.load_markets(reload=reload)
                )
                catalog = MarketCatalog.from_ccxt(loaded.values(), loaded_at=self._clock())
                self._catalog = catalog
                log.info("kraken markets loaded", markets=len(catalog.markets), reload=reload)
            return catalog

    async def _priced(
        self, wanted: Sequence[str], quote: str, *, refresh: bool = False
    ) -> tuple[MarketCatalog, dict[str, Market], dict[str, Any]]:
        """The catalog, the markets of `wanted` (with the account's fees) and their tickers."""
        catalog = await self._markets(refresh=refresh)
        found = [m for a in wanted if (m := catalog.market(a, quote)) is not None]
        # The ticker needs no fees: it runs beside the (private, paced) TradeVolume call.
        _, tickers = await asyncio.gather(
            self._learn_fees(catalog, found), self._tickers(catalog, found)
        )
        markets = {a: m for a in wanted if (m := catalog.market(a, quote)) is not None}
        return catalog, markets, tickers

    async def _learn_fees(self, catalog: MarketCatalog, markets: Iterable[Market]) -> None:
        """The account's taker and maker fees for `markets` from one TradeVolume call, cached."""
        ids = sorted({m.exchange_id for m in markets} - catalog.fees_asked)
        if not ids or not self._has_keys:
            return
        catalog.fees_asked.update(ids)
        try:
            answer = await self._translated(
                lambda: self._client.private_post_tradevolume(
                    {"pair": ",".join(ids), "fee-info": True}
                )
            )
        except ExchangeError as e:
            log.warning("kraken fee schedule used: TradeVolume failed", error=str(e))
            return
        result = result_of(answer)
        learned = [
            (account_taker_fees(result), catalog.fees),
            (account_maker_fees(result), catalog.maker_fees),
        ]
        for pair_id in ids:
            market = catalog.by_pair(pair_id)
            for fees, into in learned:
                fee = catalog.pick(fees, market) if market is not None else None
                if fee is not None:
                    into[pair_id] = fee

    # -- reads ------------------------------------------------------------------------------

    async def _tickers(self, catalog: MarketCatalog, markets: Iterable[Market]) -> dict[str, Any]:
        pairs = ",".join(sorted({m.exchange_id for m in markets}))
        if not pairs:
            return {}
        answer = await self._read("Ticker", lambda: self._client.public_get_ticker({"pair": pairs}))
        return result_of(answer)

    async def _private_read(self, endpoint: str, params: dict[str, Any]) -> Any:
        method = getattr(self._client, f"private_post_{endpoint.lower()}")
        return await self._read(endpoint, lambda: method(params))

    async def _read(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`, translated, retried after each delay on temporary errors only."""
        for delay in (*self._retry_delays, None):
            try:
                return await self._translated(call)
            except TemporaryError as e:
                if delay is None:
                    raise
                log.warning("kraken read failed, retrying", call=what, error=str(e), delay=delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _translated(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except ExchangeError:
            raise
        except Exception as e:
            raise for_read(translate(e, secrets=self._secrets())) from e

    def _secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._client.apiKey, self._client.secret) if s)
