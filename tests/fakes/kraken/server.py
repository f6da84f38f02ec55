"""``FakeKraken``: lifecycle, account setters and inspection helpers of the fake server.

The market-side knobs (quotes, the book, the price tape, fills) are in :mod:`.market`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .app import RequestRecord, Runtime, build_app
from .auth import TEST_API_KEY, TEST_API_SECRET, Authenticator
from .control import control_handler
from .endpoints import Venue
from .engine import Engine
from .faults import FaultQueue, RateCounter
from .market import Amount, MarketKnobs, dec
from .markets import Catalog
from .orders import Order
from .state import Account
from .tickers import TickerBook

# Request line / header limit: Cloudflare's (in front of api.kraken.com) documented 16 KB URL
# limit instead of aiohttp's 8 KiB, so a Ticker call for ~1,000 pairs fits as it would live.
MAX_REQUEST_LINE = 16 * 1024
DEFAULT_BALANCES: dict[str, str] = {
    "XXBT": "0.5",
    "XETH": "2",
    "SOL": "20",
    "ADA": "1000",
    "ZEUR": "0",
}


class FakeKraken(MarketKnobs):
    """A Kraken-compatible REST server on 127.0.0.1, for tests and benchmarks.

    ``async with FakeKraken() as kraken: ...`` binds a free port; ``kraken.url`` is the base
    URL to give ccxt as both ``urls['api']['public']`` and ``urls['api']['private']``.
    """

    def __init__(
        self,
        *,
        api_key: str = TEST_API_KEY,
        api_secret: str = TEST_API_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        rate_limit_tier: str | None = None,
        taker_fee_pct: Amount | None = None,
        maker_fee_pct: Amount | None = None,
        balances: Mapping[str, Amount] | None = None,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key, self.api_secret = api_key, api_secret
        self.host, self._port = host, port
        catalog = Catalog.from_fixtures()
        tickers = TickerBook()
        account = Account(catalog, random.Random(seed), wall_clock)
        engine = Engine(account, tickers, clock)
        self.runtime = Runtime(
            venue=Venue(catalog, tickers, account, engine),
            auth=Authenticator({api_key: api_secret}),
            faults=FaultQueue(),
            rate=RateCounter(clock, rate_limit_tier),
            latency=latency,
        )
        engine.counter.reset(rate_limit_tier)
        self.taker_fee_pct = None if taker_fee_pct is None else dec(taker_fee_pct)
        self.maker_fee_pct = None if maker_fee_pct is None else dec(maker_fee_pct)
        self.set_balances(DEFAULT_BALANCES if balances is None else balances, replace=True)
        self._runner: web.AppRunner | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Self:
        self.runtime.closing = asyncio.Event()
        app = build_app(self.runtime, control_handler(self))
        self._runner = web.AppRunner(
            app,
            access_log=None,
            shutdown_timeout=1.0,
            max_line_size=MAX_REQUEST_LINE,
            max_field_size=MAX_REQUEST_LINE,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._port)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        self.runtime.closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: no path; ccxt appends ``/0/public/...`` itself."""
        if self._runner is None:
            raise RuntimeError("FakeKraken is not started")
        return f"http://{self.host}:{self._port}"

    def ccxt_config(self) -> dict[str, Any]:
        """Constructor config for ``ccxt.async_support.kraken(...)`` aimed at this server."""
        urls = {"api": {"public": self.url, "private": self.url}}
        return {"apiKey": self.api_key, "secret": self.api_secret, "urls": urls}

    # -- knobs -------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self.runtime.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.runtime.latency = float(seconds)

    @property
    def rate_limit_tier(self) -> str | None:
        return self.runtime.rate.tier

    @rate_limit_tier.setter
    def rate_limit_tier(self, tier: str | None) -> None:
        """The REST counter's tier, and the trading counter's: both start from zero."""
        self.runtime.rate.tier = tier
        self.engine.counter.reset(tier)

    @property
    def taker_fee_pct(self) -> Decimal | None:
        return self.account.taker_fee_pct

    @taker_fee_pct.setter
    def taker_fee_pct(self, pct: Amount | None) -> None:
        self.account.taker_fee_pct = None if pct is None else dec(pct)

    @property
    def maker_fee_pct(self) -> Decimal | None:
        return self.account.maker_fee_pct

    @maker_fee_pct.setter
    def maker_fee_pct(self, pct: Amount | None) -> None:
        self.account.maker_fee_pct = None if pct is None else dec(pct)

    @property
    def system_status(self) -> str:
        return self.runtime.venue.system_status

    @system_status.setter
    def system_status(self, status: str) -> None:
        self.runtime.venue.system_status = status

    def add_api_key(self, api_key: str, api_secret: str) -> None:
        """Another key on the same account (own nonce sequence and rate counter)."""
        self.runtime.auth.keys[api_key] = api_secret

    def fail_next(
        self, endpoint: str, kind: str, times: int = 1, when: Mapping[str, object] | None = None
    ) -> None:
        """Make the next ``times`` calls of ``endpoint`` (``"*"``: any) fail as ``kind``.

        ``when`` restricts the fault to requests whose params include those values, e.g.
        ``when={"pair": "SOLEUR"}`` (compared as strings, to the params as sent).
        """
        self.runtime.faults.add(endpoint, kind, times, when)

    def clear_faults(self) -> None:
        self.runtime.faults.pending.clear()

    # -- balances and orders -----------------------------------------------------------------

    @property
    def balances(self) -> dict[str, Decimal]:
        """Live balance dict keyed by Kraken asset id (``XXBT``, ``ZEUR``, ``ETH2.S`` …)."""
        return self.account.balances

    def balance(self, asset: str) -> Decimal:
        return self.account.balances.get(asset, Decimal(0))

    def set_balance(self, asset: str, amount: Amount) -> None:
        self.account.balances[asset] = dec(amount)

    def set_balances(self, balances: Mapping[str, Amount], *, replace: bool = False) -> None:
        if replace:
            self.account.balances.clear()
        for asset, amount in balances.items():
            self.set_balance(asset, amount)

    @property
    def orders(self) -> list[Order]:
        """Every order ever accepted (not validate-only ones), oldest first."""
        return list(self.account.orders.values())

    def order(self, txid: str) -> Order:
        return self.account.orders[txid]

    def orders_with_cl_ord_id(self, cl_ord_id: str) -> list[Order]:
        return [o for o in self.account.orders.values() if o.cl_ord_id == cl_ord_id]

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        return self.runtime.requests

    def count(self, endpoint: str | None = None, *, api: str | None = None) -> int:
        """Requests received for ``endpoint`` (all if None), faulted ones included."""
        return sum(
            1
            for r in self.runtime.requests
            if (endpoint is None or r.endpoint == endpoint) and (api is None or r.api == api)
        )

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for record in self.runtime.requests:
            result[record.endpoint] = result.get(record.endpoint, 0) + 1
        return result

    @property
    def rate_limit_errors(self) -> int:
        """Answers carrying ``…:Rate limit exceeded`` (counter-made or injected)."""
        return sum(
            1 for r in self.runtime.requests if any("Rate limit exceeded" in e for e in r.errors)
        )

    def clear_requests(self) -> None:
        self.runtime.requests.clear()
