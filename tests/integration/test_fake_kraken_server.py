"""The fake Kraken server against the REAL ccxt Kraken client (and raw HTTP where ccxt can't).

These tests pin two things: that the fake speaks Kraken's wire format well enough for
``ccxt.async_support.kraken`` (4.5.90), and which ccxt exception each Kraken answer becomes.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import ccxt.async_support as ccxt
import pytest

from tests.fakes.kraken.faults import RateCounter
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken, sign
from tests.integration.kraken_wire import (
    fixture,
    make_exchange,
    next_nonce,
    only,
    open_exchange,
    open_kraken,
    private,
    public,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    async with open_kraken() as server:
        yield server


@pytest.fixture
async def exchange(kraken: FakeKraken) -> AsyncIterator[Any]:
    """A ccxt client with the fixture markets loaded (from the fake, once per process)."""
    async with open_exchange(kraken) as client:
        yield client


# -- markets and tickers ----------------------------------------------------------------------


async def test_load_markets_has_fixture_precision_and_limits(kraken: FakeKraken) -> None:
    exchange = make_exchange(kraken)
    try:
        await exchange.load_markets()
    finally:
        await exchange.close()
    assert kraken.counts() == {"Assets": 1, "AssetPairs": 1}
    btc = exchange.market("BTC/EUR")
    assert btc["id"] == "XXBTZEUR"
    assert btc["precision"] == {"amount": 1e-8, "price": 0.1}
    assert btc["limits"]["amount"]["min"] == 0.00005
    assert btc["limits"]["cost"]["min"] == 0.45
    assert btc["active"] is True
    assert exchange.market("0G/EUR")["precision"]["amount"] == 1e-5
    assert exchange.market("AGLD/EUR")["active"] is False  # status cancel_only
    assert exchange.currencies["BTC"]["active"] is True
    assert len(exchange.markets) == 21


async def test_asset_pairs_are_the_fixture_verbatim_and_filterable(kraken: FakeKraken) -> None:
    status, body = await public(kraken, "AssetPairs")
    assert status == 200
    assert body == fixture("AssetPairs.json")
    _, filtered = await public(kraken, "AssetPairs", "pair=XBTEUR,SOLEUR")
    assert list(filtered["result"]) == ["XXBTZEUR", "SOLEUR"]


async def test_every_pair_asset_exists_in_assets(kraken: FakeKraken) -> None:
    _, assets = await public(kraken, "Assets")
    for pair in fixture("AssetPairs.json")["result"].values():
        assert pair["base"] in assets["result"]
        assert pair["quote"] in assets["result"]
    assert assets["result"]["ETH2.S"]["status"] == "enabled"


async def test_fetch_tickers_makes_one_request_for_both_pairs(
    kraken: FakeKraken, exchange: Any
) -> None:
    tickers = await exchange.fetch_tickers(["BTC/EUR", "ETH/EUR"])
    assert kraken.count("Ticker") == 1
    assert kraken.requests[0].params == {"pair": "XXBTZEUR,XETHZEUR"}
    btc = tickers["BTC/EUR"]
    assert (btc["bid"], btc["ask"], btc["last"]) == (39998.0, 40002.0, 40000.0)
    assert tickers["ETH/EUR"]["last"] == 2500.0


async def test_ticker_entry_has_the_recorded_shape(kraken: FakeKraken) -> None:
    recorded = fixture("Ticker.XXBTZEUR.json")["result"]["XXBTZEUR"]
    _, body = await public(kraken, "Ticker", "pair=XBTEUR")  # altname in, pair id out
    entry = body["result"]["XXBTZEUR"]
    assert list(entry) == list(recorded)
    for key, value in recorded.items():
        assert type(entry[key]) is type(value)
        if isinstance(value, list):
            assert [type(v) for v in entry[key]] == [type(v) for v in value]
    assert len(entry["a"][0].split(".")[1]) == len(recorded["a"][0].split(".")[1])


async def test_ticker_unknown_pair_and_all_pairs(kraken: FakeKraken) -> None:
    _, body = await public(kraken, "Ticker", "pair=XXBTZEUR,Fake")
    assert body == fixture("Ticker.error-unknown-pair.json")
    _, everything = await public(kraken, "Ticker")
    assert set(everything["result"]) == set(fixture("AssetPairs.json")["result"])


async def test_set_price_by_symbol_moves_the_ticker(kraken: FakeKraken, exchange: Any) -> None:
    kraken.set_price("SOL/EUR", bid="99.50", ask="100.50", last="100.10")
    kraken.set_price("ADAEUR", "0.6")
    tickers = await exchange.fetch_tickers(["SOL/EUR", "ADA/EUR"])
    sol, ada = tickers["SOL/EUR"], tickers["ADA/EUR"]
    assert (sol["bid"], sol["ask"], sol["last"]) == (99.5, 100.5, 100.1)
    assert ada["bid"] < ada["last"] == 0.6 < ada["ask"]


async def test_synthetic_markets_scale_to_a_thousand_assets(kraken: FakeKraken) -> None:
    for i in range(1000):
        kraken.add_synthetic_market(f"S{i:03d}", "EUR", Decimal("1.5") + i, balance=10)
    client = make_exchange(kraken)
    try:
        await client.load_markets()
        market = client.market("S999/EUR")
        assert market["active"] and market["precision"]["price"] == 0.01
        tickers = await client.fetch_tickers([f"S{i:03d}/EUR" for i in range(1000)])
        assert len(tickers) == 1000 and kraken.count("Ticker") == 1  # ~10 KB request line
        assert (await client.fetch_balance())["total"]["S999"] == 10
    finally:
        await client.close()


# -- balances and orders ----------------------------------------------------------------------


async def test_fetch_balance_maps_kraken_codes(kraken: FakeKraken, exchange: Any) -> None:
    kraken.set_balances({"ZEUR": "150.25", "ETH2.S": "1.5", "XBT.F": "0.01", "EUR.HOLD": "3"})
    balance = await exchange.fetch_balance()
    assert kraken.count("BalanceEx") == 1
    assert balance["total"]["BTC"] == 0.5
    assert balance["total"]["ETH"] == 2.0
    assert balance["total"]["ETH2.S"] == 1.5
    assert balance["total"]["BTC.F"] == 0.01
    assert balance["total"]["EUR"] == 150.25
    assert balance["total"]["EUR.HOLD"] == 3.0


async def test_balance_endpoints_format_like_kraken(kraken: FakeKraken) -> None:
    kraken.set_balances({"XXBT": "0.00000026", "ZEUR": "60"}, replace=True)
    assert (await private(kraken, "Balance"))["result"] == {
        "XXBT": "0.0000002600",
        "ZEUR": "60.0000",
    }
    ex = (await private(kraken, "BalanceEx"))["result"]
    assert ex["ZEUR"] == {"balance": "60.0000", "hold_trade": "0.0000"}
    trade_balance = (await private(kraken, "TradeBalance", {"asset": "ZEUR"}))["result"]
    assert list(trade_balance) == list(fixture("TradeBalance.json")["result"])
    assert trade_balance["eb"] == "60.0104"  # 60 EUR + 0.00000026 BTC at 40000


async def test_market_buy_fills_at_ask_with_taker_fee(kraken: FakeKraken, exchange: Any) -> None:
    kraken.set_balance("ZEUR", "10000")
    created = await exchange.create_order("BTC/EUR", "market", "buy", 0.1)
    order = await exchange.fetch_order(created["id"])
    assert order["status"] == "closed" and order["filled"] == 0.1
    assert order["clientOrderId"] == "0"  # "userref": 0, as Kraken records it
    assert order["average"] == 40002.0 and order["cost"] == 4000.2
    assert order["fee"] == {"cost": "16.00080", "rate": None, "currency": "EUR"}  # 0.40 %
    assert kraken.balance("ZEUR") == Decimal("10000") - Decimal("4000.2") - Decimal("16.0008")
    assert kraken.balance("XXBT") == Decimal("0.6")
    [stored] = kraken.orders
    assert stored.trades and stored.closetm is not None


async def test_market_sell_fills_at_bid_and_fee_override(kraken: FakeKraken, exchange: Any) -> None:
    kraken.taker_fee_pct = Decimal("0.26")
    await exchange.create_order("ETH/EUR", "market", "sell", 1)
    [order] = kraken.orders
    assert order.avg_price == Decimal("2499.87")
    assert order.fee == Decimal("6.49966")  # 2499.87 * 0.26 %, to cost_decimals (5)
    assert kraken.balance("XETH") == Decimal(1)
    assert kraken.balance("ZEUR") == Decimal("2499.87") - Decimal("6.49966")
    fee = await exchange.fetch_trading_fee("ETH/EUR")
    assert fee["taker"] == 0.0026 and kraken.requests[-1].params["pair"] == "XETHZEUR"


async def test_add_order_result_has_the_recorded_shape(kraken: FakeKraken) -> None:
    kraken.set_balance("ZEUR", "1000")
    params = {"pair": "XXBTZEUR", "type": "buy", "ordertype": "limit", "volume": "0.00051336"}
    body = await private(kraken, "AddOrder", params | {"price": "38857.2"})
    assert set(body["result"]) == set(fixture("AddOrder.json")["result"])
    assert body["result"]["descr"] == {"order": "buy 0.00051336 XBTEUR @ limit 38857.2"}
    market = await private(kraken, "AddOrder", params | {"ordertype": "market", "volume": "0.1"})
    assert market == {"error": ["EOrder:Insufficient funds"]}
    assert body["result"]["txid"][0][0] == "O" and len(body["result"]["txid"][0]) == 19


async def test_cl_ord_id_is_sent_and_filterable(kraken: FakeKraken, exchange: Any) -> None:
    kraken.set_balance("ZEUR", "10000")
    await exchange.create_order("BTC/EUR", "market", "buy", 0.01, None, {"clientOrderId": "m-1"})
    await exchange.create_order("SOL/EUR", "limit", "buy", 1, 90, {"clientOrderId": "l-1"})
    assert only(kraken.requests, "AddOrder")[0].params["cl_ord_id"] == "m-1"
    closed = await exchange.fetch_closed_orders(params={"cl_ord_id": "m-1"})
    assert [o["clientOrderId"] for o in closed] == ["m-1"]
    assert closed[0]["symbol"] == "BTC/EUR"
    opened = await exchange.fetch_open_orders(params={"cl_ord_id": "l-1"})
    assert [(o["clientOrderId"], o["status"], o["price"]) for o in opened] == [
        ("l-1", "open", 90.0)
    ]
    assert await exchange.fetch_open_orders(params={"cl_ord_id": "m-1"}) == []


async def test_duplicate_cl_ord_id_blocks_only_while_open(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "10000")
    await exchange.create_order("SOL/EUR", "limit", "buy", 1, 90, {"clientOrderId": "dup"})
    with pytest.raises(ccxt.ExchangeError, match="cl_ord_id not unique"):
        await exchange.create_order("SOL/EUR", "limit", "buy", 1, 91, {"clientOrderId": "dup"})
    await exchange.cancel_order(kraken.orders[0].txid)
    await exchange.create_order("SOL/EUR", "market", "buy", 1, None, {"clientOrderId": "dup"})
    assert [o.status for o in kraken.orders_with_cl_ord_id("dup")] == ["canceled", "closed"]


async def test_fetch_orders_by_ids_is_one_query_orders_call(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "10000")
    ids = [(await exchange.create_order("ADA/EUR", "market", "buy", 10))["id"] for _ in range(3)]
    kraken.clear_requests()
    orders = await exchange.fetch_orders_by_ids(ids)
    assert [o["id"] for o in orders] == ids
    assert kraken.count() == 1
    assert kraken.requests[0].params["txid"] == ",".join(ids)
    with pytest.raises(ccxt.InvalidOrder):  # unknown txid: EOrder:Invalid order
        await exchange.fetch_order("OAAAAA-BBBBB-CCCCCC")


async def test_order_records_have_the_recorded_fields(kraken: FakeKraken) -> None:
    kraken.set_balance("ZEUR", "1000")
    limit = {"pair": "XETHZEUR", "type": "buy", "ordertype": "limit", "price": "1.00"}
    await private(kraken, "AddOrder", limit | {"volume": "500"})
    await private(kraken, "AddOrder", limit | {"ordertype": "market", "volume": "0.01"})
    opened = (await private(kraken, "OpenOrders"))["result"]["open"]
    closed = (await private(kraken, "ClosedOrders", {"trades": "true"}))["result"]
    assert _shape(next(iter(opened.values()))) == _shape(_first("OpenOrders.json", "open"))
    recorded_closed = _first("ClosedOrders.json", "closed")
    ours = next(iter(closed["closed"].values()))
    assert _shape(ours) == _shape(recorded_closed) | {"trades": "list"}
    assert closed["count"] == 1


def _first(name: str, key: str) -> dict[str, Any]:
    return dict(next(iter(fixture(name)["result"][key].values())))


def _shape(order: dict[str, Any]) -> dict[str, str]:
    return {k: type(v).__name__ for k, v in order.items() if k != "descr"} | {
        "descr": ",".join(sorted(order["descr"]))
    }


async def test_limit_orders_hold_funds_until_cancel_or_fill(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "1000")
    first = await exchange.create_order("SOL/EUR", "limit", "buy", 5, 100)
    assert (await exchange.fetch_balance())["used"]["EUR"] == 502.0  # 500 + 0.40 % fee
    with pytest.raises(ccxt.InsufficientFunds):
        await exchange.create_order("SOL/EUR", "limit", "buy", 5, 100)
    await exchange.cancel_order(first["id"])
    assert (await exchange.fetch_balance())["used"]["EUR"] == 0.0
    with pytest.raises(ccxt.OrderNotFound):
        await exchange.cancel_order(first["id"])
    second = await exchange.create_order("SOL/EUR", "limit", "sell", 2, 110)
    kraken.fill_order(second["id"])
    assert kraken.balance("SOL") == Decimal(18)
    assert kraken.balance("ZEUR") == Decimal("1000") + Decimal("220") - Decimal("0.55")  # maker


async def test_validate_flag_checks_without_booking(kraken: FakeKraken) -> None:
    params = {"pair": "SOLEUR", "type": "sell", "ordertype": "market", "volume": "1"}
    body = await private(kraken, "AddOrder", params | {"validate": "true"})
    assert body == {"error": [], "result": {"descr": {"order": "sell 1.00000000 SOLEUR @ market"}}}
    assert kraken.orders == []


# -- trading rules ----------------------------------------------------------------------------


async def test_minimums_are_enforced_with_kraken_errors(kraken: FakeKraken, exchange: Any) -> None:
    kraken.set_balance("ZEUR", "1000")
    with pytest.raises(ccxt.InvalidOrder, match="EOrder:Order minimum not met"):
        await exchange.create_order("BTC/EUR", "market", "buy", 0.00004)
    kraken.set_price("ADA/EUR", "0.05")  # ordermin 4.4 ADA is now worth 0.22 < costmin 0.45
    with pytest.raises(ccxt.ExchangeError, match="EOrder:Cost minimum not met") as caught:
        await exchange.create_order("ADA/EUR", "market", "buy", 4.4)
    assert type(caught.value) is ccxt.ExchangeError  # not InvalidOrder: ccxt has no mapping
    with pytest.raises(ccxt.InsufficientFunds):
        await exchange.create_order("SOL/EUR", "market", "sell", 21)
    assert kraken.orders == []


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"volume": "0.123456789"}, "EGeneral:Invalid arguments:volume"),
        (
            {"ordertype": "limit", "price": "40000.05"},
            "EOrder:Invalid price:XBT/EUR price can only be specified up to 1 decimals.",
        ),
        ({"cl_ord_id": "nineteen-characters"}, "EGeneral:Invalid arguments:cl_ord_id"),
        ({"pair": "NOPEEUR"}, "EQuery:Unknown asset pair"),
        ({"type": "short"}, "EGeneral:Invalid arguments:type"),
        ({"ordertype": "stop-loss"}, "EGeneral:Invalid arguments:ordertype"),
        ({"oflags": "viqc"}, "EGeneral:Invalid arguments:viqc"),
    ],
)
async def test_malformed_orders_are_rejected(
    kraken: FakeKraken, params: dict[str, str], error: str
) -> None:
    kraken.set_balance("ZEUR", "100000")
    order = {"pair": "XBTEUR", "type": "buy", "ordertype": "market", "volume": "0.1"}
    assert await private(kraken, "AddOrder", order | params) == {"error": [error]}


@pytest.mark.parametrize(
    "cl_ord_id",
    ["d15708c1-dbb6-465d-b77d-47258319cc90", "0123456789abcdef0123456789ABCDEF", "a" * 18],
)
async def test_cl_ord_id_formats_kraken_accepts(kraken: FakeKraken, cl_ord_id: str) -> None:
    order = {"pair": "SOLEUR", "type": "sell", "ordertype": "market", "volume": "1"}
    body = await private(kraken, "AddOrder", order | {"cl_ord_id": cl_ord_id})
    assert body["error"] == []


async def test_tick_size_is_checked(kraken: FakeKraken) -> None:
    kraken.set_balance("ZEUR", "100000")
    kraken.pair("BTC/EUR").info["tick_size"] = "0.5"
    order = {"pair": "XBTEUR", "type": "buy", "ordertype": "limit", "volume": "0.1"}
    assert await private(kraken, "AddOrder", order | {"price": "39000.3"}) == {
        "error": ["EOrder:Tick size check failed"]
    }
    assert (await private(kraken, "AddOrder", order | {"price": "39000.5"}))["error"] == []


@pytest.mark.parametrize(
    ("pair_id", "error", "ccxt_class"),
    [
        ("AGLDEUR", "EService:Market in cancel_only mode", ccxt.OnMaintenance),
        ("AIOEUR", "EService:Market in post_only mode", ccxt.OnMaintenance),
        ("XREPZEUR", "EService:Market in reduce_only mode", ccxt.ExchangeError),
    ],
)
async def test_non_online_pairs_reject_market_orders(
    kraken: FakeKraken, exchange: Any, pair_id: str, error: str, ccxt_class: type[Exception]
) -> None:
    kraken.set_balance("ZEUR", "1000")
    symbol = exchange.markets_by_id[pair_id][0]["symbol"]  # XREP is "REPV1" to ccxt
    with pytest.raises(ccxt_class, match=error) as caught:
        await exchange.create_order(symbol, "market", "buy", 40)  # ccxt sends it: no check
    assert type(caught.value) is ccxt_class
    assert kraken.orders == []


async def test_post_only_and_limit_only_accept_the_right_limit_orders(kraken: FakeKraken) -> None:
    kraken.set_balance("ZEUR", "1000")
    order = {"pair": "AIOEUR", "type": "buy", "ordertype": "limit", "volume": "40", "price": "0.09"}
    assert (await private(kraken, "AddOrder", order))["error"] == [
        "EService:Market in post_only mode"
    ]
    assert (await private(kraken, "AddOrder", order | {"oflags": "post"}))["error"] == []
    kraken.set_pair_status("SOLEUR", "limit_only")
    sol = order | {"pair": "SOLEUR", "volume": "1", "price": "90"}
    assert (await private(kraken, "AddOrder", sol))["error"] == []
    assert (await private(kraken, "AddOrder", sol | {"ordertype": "market"}))["error"] == [
        "EService:Market in limit_only mode"
    ]


# -- authentication ---------------------------------------------------------------------------


async def test_wrong_key_bad_signature_and_reused_nonce(kraken: FakeKraken) -> None:
    assert await private(kraken, "Balance", key="nope") == {"error": ["EAPI:Invalid key"]}
    bad = await private(kraken, "Balance", api_sign="c2lnbmF0dXJl")
    assert bad == {"error": ["EAPI:Invalid signature"]}
    wrong_secret = TEST_API_SECRET[::-1].replace("=", "") + "=="
    assert (await private(kraken, "Balance", secret=wrong_secret))["error"] == [
        "EAPI:Invalid signature"
    ]
    assert (await private(kraken, "Balance", nonce=1000))["error"] == []
    assert (await private(kraken, "Balance", nonce=1000))["error"] == ["EAPI:Invalid nonce"]
    assert (await private(kraken, "Balance", nonce=999))["error"] == ["EAPI:Invalid nonce"]
    assert (await private(kraken, "Balance", nonce=1001))["error"] == []


async def test_signature_covers_the_body(kraken: FakeKraken) -> None:
    params = {"pair": "SOLEUR", "type": "sell", "ordertype": "market", "volume": "1"}
    nonce = next_nonce()
    signed_for = sign("/0/private/AddOrder", str(nonce), urlencode({"nonce": nonce}), "")
    tampered = await private(kraken, "AddOrder", params, nonce=nonce, api_sign=signed_for)
    assert tampered == {"error": ["EAPI:Invalid signature"]}
    assert kraken.orders == []


async def test_ccxt_sees_auth_errors_as(kraken: FakeKraken) -> None:
    wrong_key = make_exchange(kraken)
    wrong_key.apiKey = "not-the-key"
    skewed = make_exchange(kraken)
    skewed.options["timeDifference"] = 10_000_000  # nonce = now - 10,000 s
    good = make_exchange(kraken)
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await wrong_key.fetch_balance()
        await good.fetch_balance()
        with pytest.raises(ccxt.InvalidNonce):  # a lower nonce than the key's last one
            await skewed.fetch_balance()
    finally:
        for client in (wrong_key, skewed, good):
            await client.close()


# -- fault injection --------------------------------------------------------------------------

# The ccxt 4.5.90 class each Kraken answer becomes on create_order (AddOrder).
CCXT_CLASS_FOR_ERROR = [
    ("EOrder:Insufficient funds", ccxt.InsufficientFunds),
    ("EOrder:Order minimum not met", ccxt.InvalidOrder),
    ("EOrder:Cost minimum not met", ccxt.ExchangeError),
    ("EOrder:Tick size check failed", ccxt.ExchangeError),
    (
        "EOrder:Invalid price:XBT/EUR price can only be specified up to 1 decimals.",
        ccxt.ExchangeError,
    ),
    ("EOrder:Invalid order", ccxt.InvalidOrder),
    ("EOrder:Unknown order", ccxt.InvalidOrder),
    ("EGeneral:Invalid arguments", ccxt.BadRequest),
    ("EGeneral:Invalid arguments:volume", ccxt.InvalidOrder),
    ("EGeneral:Invalid arguments:price", ccxt.InvalidOrder),
    ("EGeneral:Invalid arguments:cl_ord_id", ccxt.ExchangeError),
    ("EGeneral:Invalid arguments:cl_ord_id not unique", ccxt.ExchangeError),
    ("EQuery:Unknown asset pair", ccxt.ExchangeError),
    ("EService:Unavailable", ccxt.ExchangeNotAvailable),
    ("EService:Busy", ccxt.ExchangeNotAvailable),
    ("EService:Market in cancel_only mode", ccxt.OnMaintenance),
    ("EService:Market in post_only mode", ccxt.OnMaintenance),
    ("EService:Market in limit_only mode", ccxt.ExchangeError),
    ("EAPI:Invalid key", ccxt.AuthenticationError),
    ("EAPI:Invalid signature", ccxt.ExchangeError),
    ("EAPI:Invalid nonce", ccxt.InvalidNonce),
    ("EAPI:Rate limit exceeded", ccxt.DDoSProtection),
    ("EGeneral:Temporary lockout", ccxt.DDoSProtection),
    ("EGeneral:Internal error", ccxt.ExchangeNotAvailable),
]


@pytest.mark.parametrize(("error", "ccxt_class"), CCXT_CLASS_FOR_ERROR)
async def test_injected_kraken_error_maps_to_ccxt_class(
    kraken: FakeKraken, exchange: Any, error: str, ccxt_class: type[Exception]
) -> None:
    kraken.set_balance("ZEUR", "1000")
    kraken.fail_next("AddOrder", error)
    with pytest.raises(ccxt_class) as caught:
        await exchange.create_order("BTC/EUR", "market", "buy", 0.001)
    assert type(caught.value) is ccxt_class
    assert kraken.orders == []  # an injected error is answered before processing
    assert kraken.requests[-1].errors == [error]
    await exchange.create_order("BTC/EUR", "market", "buy", 0.001)  # consumed: next call works


async def test_html_page_with_200_is_not_an_error_for_ccxt(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "1000")
    kraken.fail_next("AddOrder", "html")
    kraken.fail_next("BalanceEx", "html")
    order = await exchange.create_order("BTC/EUR", "market", "buy", 0.001)
    assert order["id"] is None  # ccxt returns an empty order: the adapter must check
    assert (await exchange.fetch_balance())["total"] == {}
    assert kraken.orders == []
    status, text = await _raw_after_fault(kraken, "html")
    assert status == 200 and text.startswith("<!DOCTYPE html>")


async def _raw_after_fault(kraken: FakeKraken, kind: str) -> tuple[int, str]:
    kraken.fail_next("Time", kind)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{kraken.url}/0/public/Time") as response,
    ):
        assert response.content_type == "text/html"
        return response.status, await response.text()


@pytest.mark.parametrize("kind", ["http500", "http502", "http503"])
async def test_http_errors_are_exchange_not_available(
    kraken: FakeKraken, exchange: Any, kind: str
) -> None:
    kraken.fail_next("Ticker", kind)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await exchange.fetch_ticker("BTC/EUR")
    assert (await _raw_after_fault(kraken, kind))[0] == int(kind[4:])


async def test_drop_closes_the_connection_before_processing(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "1000")
    kraken.fail_next("AddOrder", "drop")
    with pytest.raises(ccxt.ExchangeNotAvailable):  # a NetworkError
        await exchange.create_order("BTC/EUR", "market", "buy", 0.001)
    assert kraken.orders == []
    assert kraken.requests[-1].status == 0 and kraken.requests[-1].fault == "drop"


async def test_aiohttp_retries_a_dropped_get_once(kraken: FakeKraken, exchange: Any) -> None:
    """ccxt's HTTP client re-sends an idempotent request once when the server closes a reused
    keep-alive connection, so one dropped public GET is invisible; a second one is not.
    Private calls are POSTs and are never re-sent (no duplicate AddOrder)."""
    kraken.fail_next("Time", "drop")
    await exchange.fetch_time()
    assert [(r.endpoint, r.status) for r in kraken.requests] == [("Time", 0), ("Time", 200)]
    kraken.fail_next("Time", "drop", times=2)
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await exchange.fetch_time()


async def test_drop_after_books_the_order_but_loses_the_answer(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "1000")
    kraken.fail_next("AddOrder", "drop_after")
    with pytest.raises(ccxt.NetworkError):
        await exchange.create_order(
            "BTC/EUR", "market", "buy", 0.001, None, {"clientOrderId": "x1"}
        )
    [order] = kraken.orders
    assert order.status == "closed" and order.vol_exec == Decimal("0.001")
    assert kraken.balance("XXBT") == Decimal("0.501")
    found = await exchange.fetch_closed_orders(params={"cl_ord_id": "x1"})
    assert [o["id"] for o in found] == [order.txid]


async def test_delay_times_the_client_out_then_books_late(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "1000")
    exchange.timeout = 100
    kraken.fail_next("AddOrder", "delay:0.3")
    with pytest.raises(ccxt.RequestTimeout):
        await exchange.create_order("BTC/EUR", "market", "buy", 0.001)
    assert kraken.orders == []
    await asyncio.sleep(0.35)
    assert len(kraken.orders) == 1


async def test_delay_after_books_at_once_and_answers_late(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_balance("ZEUR", "1000")
    exchange.timeout = 100
    kraken.fail_next("AddOrder", "delay_after:5")
    with pytest.raises(ccxt.RequestTimeout):
        await exchange.create_order("BTC/EUR", "market", "buy", 0.001)
    assert len(kraken.orders) == 1  # the server is still "answering"; closing cuts it short


async def test_delay_shorter_than_timeout_just_slows_down(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.fail_next("Time", "delay:0.2")
    started = time.monotonic()
    await exchange.fetch_time()
    assert time.monotonic() - started >= 0.2
    kraken.latency = 0.1
    started = time.monotonic()
    await exchange.fetch_time()
    assert 0.1 <= time.monotonic() - started < 1.0


async def test_fault_predicate_times_and_wildcard(kraken: FakeKraken, exchange: Any) -> None:
    kraken.set_balance("ZEUR", "10000")
    kraken.fail_next("AddOrder", "EOrder:Insufficient funds", times=2, when={"pair": "SOLEUR"})
    await exchange.create_order("BTC/EUR", "market", "buy", 0.001)
    for _ in range(2):
        with pytest.raises(ccxt.InsufficientFunds):
            await exchange.create_order("SOL/EUR", "market", "buy", 1)
    await exchange.create_order("SOL/EUR", "market", "buy", 1)
    kraken.fail_next("*", "EService:Busy")
    with pytest.raises(ccxt.ExchangeNotAvailable):
        await exchange.fetch_time()
    assert [o.pair.id for o in kraken.orders] == ["XXBTZEUR", "SOLEUR"]
    with pytest.raises(ValueError, match="unknown fault kind"):
        kraken.fail_next("Time", "explode")


# -- rate counter -----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_starter_rate_counter_blocks_the_sixteenth_call() -> None:
    clock = FakeClock()
    async with FakeKraken(rate_limit_tier="starter", clock=clock) as kraken:
        client = make_exchange(kraken)
        try:
            await client.load_markets()  # public calls do not count
            for _ in range(15):
                await client.fetch_balance()
            with pytest.raises(ccxt.DDoSProtection):
                await client.fetch_balance()
            await client.create_order("SOL/EUR", "market", "sell", 1)  # AddOrder costs 0
            clock.now += 3.1  # decays 0.33/s: one call's worth
            await client.fetch_open_orders()
            with pytest.raises(ccxt.DDoSProtection):
                await client.fetch_open_orders()
            assert kraken.rate_limit_errors == 2
        finally:
            await client.close()


def test_rate_counter_costs_and_tiers() -> None:
    clock = FakeClock()
    counter = RateCounter(clock, "intermediate")
    for _ in range(10):
        counter.charge("k", "Ledgers")  # costs 2
    assert counter.level("k") == 20
    clock.now += 2  # decays 0.5/s
    counter.charge("k", "Balance")
    assert counter.level("k") == 20
    counter.tier = "pro"
    assert counter.level("k") == 0
    with pytest.raises(ValueError, match="unknown rate-limit tier"):
        counter.tier = "ultra"


# -- public odds and ends ---------------------------------------------------------------------


async def test_time_and_system_status(kraken: FakeKraken, exchange: Any) -> None:
    _, body = await public(kraken, "Time")
    recorded = fixture("Time.json")["result"]
    assert {k: type(v) for k, v in body["result"].items()} == {
        k: type(v) for k, v in recorded.items()
    }
    assert abs(await exchange.fetch_time() - time.time() * 1000) < 5000
    assert (await exchange.fetch_status())["status"] == "ok"
    kraken.system_status = "maintenance"
    assert (await exchange.fetch_status())["status"] == "maintenance"


# -- running as a process ---------------------------------------------------------------------


async def test_subprocess_prints_its_url_and_obeys_the_control_plane() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes.kraken_server",
        "--port",
        "0",
        "--tier",
        "pro",
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        info = json.loads(await asyncio.wait_for(process.stdout.readline(), 15))
        assert info["api_key"] == TEST_API_KEY and info["url"].startswith("http://127.0.0.1:")
        await _drive_subprocess(info)
    finally:
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def _drive_subprocess(info: dict[str, str]) -> None:
    control = f"{info['url']}/_control"
    client = ccxt.kraken(
        {"apiKey": info["api_key"], "secret": info["api_secret"], "enableRateLimit": False}
    )
    client.timeout_on_exit = 0
    client.urls["api"]["public"] = client.urls["api"]["private"] = info["url"]
    try:
        async with aiohttp.ClientSession() as session:
            await session.post(f"{control}/balances", json={"balances": {"ZEUR": "5000"}})
            await session.post(f"{control}/price", json={"pair": "BTC/EUR", "price": "50000"})
            fault = {"endpoint": "Time", "kind": "drop", "times": 2}  # 2: aiohttp retries once
            await session.post(f"{control}/fail_next", json=fault)
            assert (await client.fetch_balance())["total"]["EUR"] == 5000
            assert (await client.fetch_ticker("BTC/EUR"))["last"] == 50000
            with pytest.raises(ccxt.NetworkError):
                await client.fetch_time()
            await client.create_order("BTC/EUR", "market", "buy", 0.01)
            async with session.get(f"{control}/state") as response:
                state = await response.json()
        assert state["counts"]["AddOrder"] == 1 and state["tier"] == "pro"
        assert [o["status"] for o in state["orders"]] == ["closed"]
        assert state["balances"]["XXBT"] == "0.51"
    finally:
        await client.close()


async def test_control_plane_in_process(kraken: FakeKraken) -> None:
    async def call(action: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{kraken.url}/_control/{action}", json=body or {}) as response,
        ):
            return response.status, await response.json()

    market = {"base": "AAA", "price": "2.5", "ordermin": "1", "balance": "7"}
    assert (await call("market", market))[1]["pair"] == "AAAEUR"
    assert (await call("pair_status", {"pair": "AAA/EUR", "status": "post_only"}))[0] == 200
    assert kraken.pair("AAAEUR").status == "post_only" and kraken.balance("AAA") == 7
    await call("fees", {"taker_fee_pct": "0.1"})
    await call("latency", {"seconds": 0.01})
    await call("rate_limit_tier", {"tier": "intermediate"})
    assert (kraken.taker_fee_pct, kraken.latency) == (Decimal("0.1"), 0.01)
    await public(kraken, "Time")
    assert (await call("counts"))[1] == {"counts": {"Time": 1}, "total": 1, "rate_limit_errors": 0}
    assert (await call("requests"))[1]["requests"][0]["endpoint"] == "Time"
    assert (await call("clear_requests"))[1] == {"total": 0} and kraken.requests == []
    assert (await call("price", {"pair": "nope", "price": "1"}))[0] == 400
    assert (await call("no_such_action"))[0] == 404
