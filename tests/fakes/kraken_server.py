"""A Kraken-compatible fake REST server for tests and benchmarks.

The implementation lives in the ``tests.fakes.kraken`` package; this module re-exports it and
is the process entry point (``python -m tests.fakes.kraken_server``).

In-process use::

    async with FakeKraken() as kraken:          # binds 127.0.0.1, free port
        exchange = ccxt.async_support.kraken({**kraken.ccxt_config(), "enableRateLimit": False})

Pointing ccxt at it: ccxt's Kraken ``sign()`` builds ``'/' + version + '/' + api + '/' + path``
(``/0/public/Ticker``, ``/0/private/AddOrder``) and prepends ``urls['api'][api]``. So the
base URL has NO path: set ``exchange.urls['api']['public']`` and
``exchange.urls['api']['private']`` both to ``kraken.url`` (``http://127.0.0.1:PORT``), plus
``apiKey=kraken.api_key`` and ``secret=kraken.api_secret`` (defaults ``TEST_API_KEY`` /
``TEST_API_SECRET``). ``kraken.ccxt_config()`` returns exactly that as constructor config
(ccxt deep-merges ``urls`` into its defaults).

As a process::

    python -m tests.fakes.kraken_server --port 0 [--latency 0.05] [--tier starter]

prints ``{"url": "http://127.0.0.1:PORT", "api_key": ..., "api_secret": ...}`` on one line,
then serves until SIGTERM/SIGINT. Drive it through ``POST {url}/_control/<action>`` (JSON
bodies; see ``tests/fakes/kraken/control.py`` for the list).

Public API of :class:`FakeKraken`
---------------------------------
Constructor (all keyword): ``api_key``, ``api_secret``, ``host="127.0.0.1"``, ``port=0``,
``latency=0.0``, ``rate_limit_tier=None|"starter"|"intermediate"|"pro"``,
``taker_fee_pct=None``/``maker_fee_pct=None`` (percent, override every pair's tier-0 fee),
``balances=None`` (Kraken ids -> amounts; default XXBT 0.5, XETH 2, SOL 20, ADA 1000, ZEUR 0),
``seed=None`` (order/trade ids), ``clock=time.monotonic`` (rate-counter decay),
``wall_clock=time.time`` (opentm/closetm/Time).

Lifecycle: ``await start()``/``await close()`` or ``async with``; ``url``, ``port``,
``api_key``, ``api_secret``, ``ccxt_config()``, ``add_api_key(key, secret)`` (another key on
the same account, with its own nonces and rate counter).

Knobs (settable at runtime): ``latency``, ``rate_limit_tier`` (the REST counter's tier and
the trading counter's: AddOrder +1, AmendOrder and CancelOrder with Kraken's resting-time
penalties, ``EOrder:Rate limit exceeded``), ``taker_fee_pct``, ``maker_fee_pct``,
``system_status``; ``fail_next(endpoint, kind, times=1, when=None)``, ``clear_faults()``.

Market state: ``set_price(pair_or_symbol, price=None, *, bid=, ask=, last=)`` (resting
orders it moves through fill as maker at their limit), ``quote(pair)`` (everyone else's
touch), ``pair(name)`` (id, altname, wsname or ``BTC/EUR``), ``set_pair_status(pair,
status)``, ``add_synthetic_market(base, quote="EUR", price, *, lot_decimals=8,
pair_decimals=None, ordermin=None, costmin="0.45", status="online", balance=None)``,
``catalog`` (assets and pairs).

The order book (``tests/fakes/kraken/book.py``, ``engine.py``): ``set_liquidity(level_value=None,
*, levels=10, gap_bps=5)`` shapes everyone else's book (quote value per level; None, the
default, is a bottomless touch, so market orders fill in full at the ask/bid);
``post_only_cross = "reject"`` (``EOrder:Post only order``) or ``"cancel"`` (booked, then
cancelled with reason ``Post only order``); ``trade(pair, taker_side, volume)`` (another
trader's flow: fills own resting orders at the touch, as maker); ``fill_order(txid,
price=None, volume=None)``; ``trading_level(pair)`` (the per-pair trading counter). Depth and
Ticker include the account's own resting orders, so their touches agree.

The price tape (``tests/fakes/kraken/tape.py``): ``start_tape(*, seed=0, spread_bps=10,
step_bps=5, flow_value=500, pairs=None)`` then ``advance(steps=1)`` (returns the fills): each
step moves every tape pair's mid by a seeded Gaussian step, re-quotes it ``spread_bps`` wide,
fills the resting orders the move went through, then the step's flow (0..2 x ``flow_value``
quote units each side) fills what rests at the touch. Nothing moves by wall-clock time.

Account: ``balances`` (live dict, Kraken asset ids), ``balance(asset)``,
``set_balance(asset, amount)``, ``set_balances(mapping, replace=False)``, ``orders`` (every
accepted order, oldest first; :class:`Order` records with ``txid``, ``status``, ``cl_ord_id``,
``vol_exec``, ``cost``, ``fee``, ``avg_price`` …), ``order(txid)``,
``orders_with_cl_ord_id(id)``; each order's ``fills`` say maker or taker (``maker_volume``).

Request log: ``requests`` (:class:`RequestRecord`: ``method``, ``api``, ``endpoint``,
``params`` without nonce or headers, ``nonce``, ``fault``, ``errors``, ``status`` (0 =
dropped), ``at``), ``count(endpoint=None, api=None)``, ``counts()``, ``rate_limit_errors``,
``clear_requests()``.

Fault kinds for ``fail_next``: any Kraken error string (HTTP 200 envelope); ``"html"``;
``"http500"``/``"http502"``/``"http503"``; ``"drop"`` (closed before processing);
``"drop_after"`` (processed, e.g. order booked and filled, then closed unanswered);
``"delay:N"`` (wait N s, then process and answer); ``"delay_after:N"`` (process, then wait N s).

ccxt 4.5.90 exception raised for each answer (observed in the integration tests)
---------------------------------------------------------------------------------
(``test_injected_kraken_error_maps_to_ccxt_class`` pins every row.) "NetworkError" marks the
classes that derive from ``ccxt.NetworkError`` (code retrying on NetworkError retries them).

* ``EOrder:Insufficient funds`` -> ``InsufficientFunds``
* ``EOrder:Order minimum not met`` -> ``InvalidOrder``
* ``EOrder:Cost minimum not met`` -> ``ExchangeError`` (the base class: ccxt has no mapping)
* ``EOrder:Tick size check failed`` -> ``ExchangeError``
* ``EOrder:Invalid price:XBT/EUR price can only be specified up to 1 decimals.`` ->
  ``ExchangeError``
* ``EOrder:Invalid order`` (QueryOrders with an unknown txid) -> ``InvalidOrder``
* ``EOrder:Unknown order`` -> ``InvalidOrder``; ``cancel_order`` re-raises it as
  ``OrderNotFound``
* ``EGeneral:Invalid arguments`` -> ``BadRequest``
* ``EOrder:Post only order`` (AddOrder or AmendOrder) -> ``ExchangeError``
* ``EOrder:Rate limit exceeded`` (the trading counter) -> ``DDoSProtection`` (NetworkError)
* ``EGeneral:Invalid arguments:volume`` / ``:price`` / ``:viqc`` -> ``InvalidOrder``
* ``EGeneral:Invalid arguments:cl_ord_id`` (bad format) -> ``ExchangeError``
* ``EGeneral:Invalid arguments:cl_ord_id not unique`` (duplicate open) -> ``ExchangeError``
* ``EQuery:Unknown asset pair`` -> ``ExchangeError``
* ``EService:Unavailable``, ``EService:Busy``, ``EGeneral:Internal error`` ->
  ``ExchangeNotAvailable`` (NetworkError)
* ``EService:Market in cancel_only mode`` / ``… post_only mode`` -> ``OnMaintenance``
  (NetworkError, although retrying will not help)
* ``EService:Market in limit_only mode`` / ``… reduce_only mode`` -> ``ExchangeError``
* ``EAPI:Invalid key`` -> ``AuthenticationError``
* ``EAPI:Invalid signature`` -> ``ExchangeError`` (not AuthenticationError)
* ``EAPI:Invalid nonce`` -> ``InvalidNonce`` (NetworkError)
* ``EAPI:Rate limit exceeded``, ``EGeneral:Temporary lockout`` -> ``DDoSProtection``
  (NetworkError)
* ``html`` (HTTP 200, text/html) -> NO exception: ccxt returns an empty result
  (``create_order`` -> an order with ``id`` None; ``fetch_balance`` -> an empty balance).
* ``http500`` / ``http502`` / ``http503`` -> ``ExchangeNotAvailable`` (NetworkError)
* ``drop``, ``drop_after`` -> ``ExchangeNotAvailable`` (NetworkError)
* ``delay:N`` / ``delay_after:N`` longer than ccxt's ``timeout`` -> ``RequestTimeout``
  (NetworkError)

Caveats worth knowing
---------------------
* aiohttp (ccxt's HTTP client) re-sends an idempotent request (GET: all public calls) ONCE when
  the server closes a reused keep-alive connection; so a single ``drop`` on a public endpoint
  is invisible to ccxt: use ``times=2``. Private calls are POSTs and are never re-sent.
* Not in Kraken's docs, so less certain: the duplicate-cl_ord_id text
  (``EGeneral:Invalid arguments:cl_ord_id not unique``, quoted from a live refusal in public
  code; ``validation.DUPLICATE_CL_ORD_ID``), ``EService:Market in reduce_only mode`` (by analogy)
  and QueryOrders' answer for an unknown txid (``EOrder:Invalid order``, from memory).
  ``validate=true`` checks the inputs and the pair's rules but not funds.
* Orders without ``userref`` carry ``"userref": 0`` (as recorded), which ccxt turns into
  ``clientOrderId == "0"`` for orders placed without a ``cl_ord_id``.
* ``viqc`` (volume in quote currency, ccxt's ``create_market_buy_order_with_cost``) is not
  modelled: it is refused with ``EGeneral:Invalid arguments:viqc``; nor are ``GTD`` orders,
  iceberg or trigger amends and relative amend prices.
* Unverified choices: an IOC order's unfilled rest ends ``canceled`` with reason
  ``Immediate or cancel`` (``engine.IOC_REASON``); an amend to at most the filled quantity
  cancels the rest; the own orders are first in their price level and never trade with each
  other; Kraken's order record never says maker or taker (the fake's ``Fill`` does).
"""

from tests.fakes.kraken import (
    TEST_API_KEY,
    TEST_API_SECRET,
    FakeKraken,
    Order,
    Quote,
    RequestRecord,
    sign,
)
from tests.fakes.kraken.cli import main

__all__ = [
    "TEST_API_KEY",
    "TEST_API_SECRET",
    "FakeKraken",
    "Order",
    "Quote",
    "RequestRecord",
    "sign",
]

if __name__ == "__main__":
    main()
