"""The fake Kraken's order book through the REAL ccxt client: Depth and Ticker, resting and
post-only orders, fills from the price tape, AmendOrder, CancelOrder, IOC, the trading counter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import ccxt.async_support as ccxt
import pytest

from tests.fakes.clocks import FakeTime
from tests.fakes.kraken_server import FakeKraken
from tests.integration.kraken_wire import (
    make_exchange,
    only,
    open_exchange,
    open_kraken,
    private,
    public,
)

D = Decimal


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    async with open_kraken() as server:
        server.set_balance("ZEUR", "10000")
        yield server


@pytest.fixture
async def exchange(kraken: FakeKraken) -> AsyncIterator[Any]:
    async with open_exchange(kraken) as client:
        yield client


async def post_only_buy(exchange: Any, price: float, amount: float = 0.01, **params: Any) -> Any:
    return await exchange.create_order(
        "BTC/EUR", "limit", "buy", amount, price, {"postOnly": True, **params}
    )


# -- Depth and Ticker -------------------------------------------------------------------------


async def test_depth_and_ticker_show_the_same_touch(kraken: FakeKraken, exchange: Any) -> None:
    book = await exchange.fetch_order_book("BTC/EUR", 5)
    ticker = await exchange.fetch_ticker("BTC/EUR")
    assert (book["bids"][0][0], book["asks"][0][0]) == (ticker["bid"], ticker["ask"])
    assert (ticker["bid"], ticker["ask"]) == (39998.0, 40002.0)
    assert len(book["bids"]) == len(book["asks"]) == 5
    assert [r.params for r in only(kraken.requests, "Depth")] == [
        {"pair": "XXBTZEUR", "count": "5"}
    ]


async def test_a_resting_order_inside_the_spread_becomes_the_touch_of_both(
    kraken: FakeKraken, exchange: Any
) -> None:
    await post_only_buy(exchange, 39999.5, 0.2)
    book = await exchange.fetch_order_book("BTC/EUR", 3)
    ticker = await exchange.fetch_ticker("BTC/EUR")
    assert book["bids"][0][:2] == [39999.5, 0.2]
    assert ticker["bid"] == 39999.5
    assert kraken.quote("BTC/EUR").bid == D("39998")  # everyone else's bid did not move


async def test_own_volume_joins_its_level_in_depth(kraken: FakeKraken) -> None:
    kraken.set_liquidity("4000", levels=3)  # 0.1 BTC a level
    await private(kraken, "AddOrder", _limit("buy", "0.05", "39998", oflags="post"))
    _, body = await public(kraken, "Depth", "pair=XBTEUR&count=2")
    bids = body["result"]["XXBTZEUR"]["bids"]
    assert [level[:2] for level in bids] == [["39998.0", "0.15000000"], ["39978.0", "0.10000000"]]
    assert isinstance(bids[0][2], int)


async def test_depth_takes_one_pair(kraken: FakeKraken) -> None:
    _, body = await public(kraken, "Depth", "pair=XBTEUR,ETHEUR")
    assert body == {"error": ["EGeneral:Invalid arguments:pair"]}


# -- post-only and resting orders ------------------------------------------------------------


async def test_a_post_only_order_that_would_cross_is_refused(
    kraken: FakeKraken, exchange: Any
) -> None:
    with pytest.raises(ccxt.ExchangeError, match="EOrder:Post only order") as caught:
        await post_only_buy(exchange, 40002)
    assert type(caught.value) is ccxt.ExchangeError  # ccxt has no mapping for it
    assert kraken.orders == []
    assert kraken.balance("ZEUR") == D("10000")


async def test_in_cancel_mode_a_crossing_post_only_order_is_booked_then_cancelled(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.post_only_cross = "cancel"
    placed = await post_only_buy(exchange, 40010, clientOrderId="p-1")
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["filled"]) == ("canceled", 0.0)
    assert order["info"]["reason"] == "Post only order"
    assert order["clientOrderId"] == "p-1"


async def test_a_resting_post_only_order_holds_its_funds_at_the_taker_rate(
    kraken: FakeKraken, exchange: Any
) -> None:
    placed = await post_only_buy(exchange, 39990, 0.1)
    body = await private(kraken, "BalanceEx")
    assert body["result"]["ZEUR"] == {"balance": "10000.0000", "hold_trade": "4014.9960"}
    [opened] = await exchange.fetch_open_orders()
    assert (opened["id"], opened["postOnly"], opened["price"]) == (placed["id"], True, 39990.0)
    assert opened["info"]["oflags"] == "post,fciq"


async def test_a_limit_order_that_crosses_takes_then_rests_the_rest(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_liquidity("4000", levels=3)  # asks 0.1 BTC at 40002, 40022.1, then deep
    placed = await exchange.create_order("BTC/EUR", "limit", "buy", 0.2, 40010)
    [stored] = kraken.orders
    assert (stored.status, stored.vol_exec, stored.maker_volume) == ("open", D("0.1"), 0)
    assert stored.fee == D("16.0008")  # taker 0.40 % of 4000.20
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["filled"], order["average"]) == ("open", 0.1, 40002.0)
    assert order["info"]["misc"] == "partial"


# -- fills -----------------------------------------------------------------------------------


async def test_flow_at_the_touch_fills_a_resting_order_partly_then_fully_as_maker(
    kraken: FakeKraken, exchange: Any
) -> None:
    placed = await post_only_buy(exchange, 39998, 0.01)
    kraken.trade("BTC/EUR", "sell", "0.004")
    partial = await exchange.fetch_order(placed["id"])
    assert (partial["status"], partial["filled"], partial["info"]["misc"]) == (
        "open",
        0.004,
        "partial",
    )
    assert partial["info"]["vol_exec"] == "0.00400000"
    assert partial["info"]["cost"] == "159.99200" and partial["info"]["fee"] == "0.39998"
    kraken.trade("BTC/EUR", "sell", "1")
    done = await exchange.fetch_order(placed["id"], params={"trades": True})
    assert (done["status"], done["filled"], done["info"]["reason"]) == ("closed", 0.01, None)
    assert done["info"]["fee"] == "0.99995"  # maker 0.25 % of 399.98
    assert len(done["info"]["trades"]) == 2
    assert kraken.balance("XXBT") == D("0.51")


async def test_flow_does_not_reach_an_order_behind_the_touch(
    kraken: FakeKraken, exchange: Any
) -> None:
    await post_only_buy(exchange, 39990)
    assert kraken.trade("BTC/EUR", "sell", "1") == []
    assert kraken.orders[0].vol_exec == 0


async def test_a_market_moving_through_the_limit_fills_the_order_at_its_limit(
    kraken: FakeKraken, exchange: Any
) -> None:
    placed = await post_only_buy(exchange, 39990, 0.02)
    kraken.set_price("BTC/EUR", "39980")  # the ask comes down to 39982
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["average"], order["info"]["fee"]) == (
        "closed",
        39990.0,
        "1.99950",
    )


async def test_the_price_tape_is_a_seeded_random_walk_with_its_own_spread() -> None:
    async def walk(seed: int) -> list[tuple[Decimal, Decimal]]:
        async with open_kraken() as server:
            server.start_tape(seed=seed, spread_bps=10, pairs=["BTC/EUR"])
            quotes = []
            for _ in range(5):
                server.advance()
                quote = server.quote("BTC/EUR")
                quotes.append((quote.bid, quote.ask))
            return quotes

    first, again, other = await walk(3), await walk(3), await walk(4)
    assert first == again != other
    assert len(set(first)) > 1
    for bid, ask in first:
        assert D("0.0009") < (ask - bid) / ((ask + bid) / 2) < D("0.0011")  # 10 bps


async def test_tape_steps_fill_a_buy_at_the_touch_with_the_flow(kraken: FakeKraken) -> None:
    kraken.start_tape(seed=1, step_bps=0, flow_value=1000, pairs=["BTC/EUR"])
    bid = kraken.quote("BTC/EUR").bid
    await private(kraken, "AddOrder", _limit("buy", "0.1", str(bid), oflags="post"))
    [order] = kraken.orders
    fills = kraken.advance()  # no price move: sellers' flow (0 to 2,000 EUR) hits the bid
    assert fills and all(f.maker and f.price == bid for f in fills)
    assert 0 < order.vol_exec < D("0.1")
    kraken.advance(20)
    assert order.status == "closed" and order.maker_volume == D("0.1")


async def test_control_plane_drives_the_tape_book_and_flow(kraken: FakeKraken) -> None:
    async def call(action: str, body: dict[str, Any]) -> Any:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{kraken.url}/_control/{action}", json=body) as response,
        ):
            assert response.status == 200, await response.text()
            return await response.json()

    tape = await call("tape", {"seed": 2, "spread_bps": "10", "pairs": ["BTC/EUR"]})
    assert tape["spread_bps"] == "10"
    assert (await call("liquidity", {"level_value": "4000"}))["level_value"] == "4000"
    assert (await call("post_only_cross", {"mode": "cancel"}))["mode"] == "cancel"
    bid = str(kraken.quote("BTC/EUR").bid)
    await private(kraken, "AddOrder", _limit("buy", "0.1", bid, oflags="post"))
    traded = await call("trade", {"pair": "BTC/EUR", "side": "sell", "volume": "0.04"})
    assert [(f["volume"], f["maker"]) for f in traded["fills"]] == [("0.04", True)]
    assert traded["fills"][0]["txid"] == kraken.orders[0].txid
    assert (await call("advance", {"steps": 3}))["steps"] == 3


# -- AmendOrder ------------------------------------------------------------------------------


async def test_an_amend_keeps_txid_client_id_and_fills_and_moves_the_hold(
    kraken: FakeKraken, exchange: Any
) -> None:
    placed = await post_only_buy(exchange, 39998, 0.1, clientOrderId="m-1")
    kraken.trade("BTC/EUR", "sell", "0.03")
    amended = await exchange.edit_order(
        placed["id"], "BTC/EUR", "limit", "buy", None, 39999.5, {"postOnly": True}
    )
    [sent] = only(kraken.requests, "AmendOrder")
    assert sent.params == {"txid": placed["id"], "post_only": "true", "limit_price": "39999.5"}
    assert amended["id"].startswith("T")  # the amend_id
    order = await exchange.fetch_order(placed["id"])
    assert (order["id"], order["clientOrderId"], order["price"]) == (placed["id"], "m-1", 39999.5)
    assert (order["amount"], order["filled"]) == (0.1, 0.03)
    hold = (await private(kraken, "BalanceEx"))["result"]["ZEUR"]["hold_trade"]
    assert D(hold) == (D("0.07") * D("39999.5") * D("1.004")).quantize(D("0.0001"))


async def test_an_amend_by_client_id_changes_the_quantity(
    kraken: FakeKraken, exchange: Any
) -> None:
    await post_only_buy(exchange, 39990, 0.1, clientOrderId="m-2")
    body = await private(kraken, "AmendOrder", {"cl_ord_id": "m-2", "order_qty": "0.05"})
    assert set(body["result"]) == {"amend_id"}
    [order] = kraken.orders
    assert (order.volume, order.price, order.status) == (D("0.05"), D("39990"), "open")


async def test_a_post_only_amend_across_the_book_is_refused_and_changes_nothing(
    kraken: FakeKraken, exchange: Any
) -> None:
    placed = await post_only_buy(exchange, 39990)
    with pytest.raises(ccxt.ExchangeError, match="EOrder:Post only order"):
        await exchange.edit_order(placed["id"], "BTC/EUR", "limit", "buy", None, 40005)
    [order] = kraken.orders
    assert (order.price, order.vol_exec, order.status) == (D("39990"), 0, "open")


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"txid": "OAAAAA-BBBBB-CCCCCC", "limit_price": "1"}, "EOrder:Unknown order"),
        ({"limit_price": "39000"}, "EGeneral:Invalid arguments"),
        ({"txid": "{txid}"}, "EGeneral:Invalid arguments"),
        ({"txid": "{txid}", "limit_price": "39000.05"}, "EOrder:Invalid price:XBT/EUR"),
        ({"txid": "{txid}", "order_qty": "0.00001"}, "EOrder:Order minimum not met"),
        ({"txid": "{txid}", "limit_price": "+5"}, "EGeneral:Invalid arguments:limit_price"),
        ({"txid": "{txid}", "order_qty": "100"}, "EOrder:Insufficient funds"),
    ],
)
async def test_bad_amends_are_refused_with_krakens_errors(
    kraken: FakeKraken, exchange: Any, params: dict[str, str], error: str
) -> None:
    placed = await post_only_buy(exchange, 39990)
    sent = {k: v.format(txid=placed["id"]) for k, v in params.items()}
    body = await private(kraken, "AmendOrder", sent)
    assert body["error"][0].startswith(error)


async def test_amending_the_quantity_to_what_is_filled_cancels_the_rest(
    kraken: FakeKraken, exchange: Any
) -> None:
    placed = await post_only_buy(exchange, 39998, 0.1)
    kraken.trade("BTC/EUR", "sell", "0.04")
    await exchange.edit_order(placed["id"], "BTC/EUR", "limit", "buy", 0.04)
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["filled"]) == ("canceled", 0.04)


# -- CancelOrder and IOC ---------------------------------------------------------------------


async def test_cancel_by_client_id_keeps_the_fills_and_says_user_requested(
    kraken: FakeKraken, exchange: Any
) -> None:
    placed = await post_only_buy(exchange, 39998, clientOrderId="c-1")
    kraken.trade("BTC/EUR", "sell", "0.002")
    answer = await exchange.cancel_order(None, None, {"clientOrderId": "c-1"})
    assert answer["info"]["result"] == {"count": 1}
    assert only(kraken.requests, "CancelOrder")[0].params == {"cl_ord_id": "c-1"}
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["filled"]) == ("canceled", 0.002)
    assert order["info"]["reason"] == "User requested"
    assert (await private(kraken, "BalanceEx"))["result"]["ZEUR"]["hold_trade"] == "0.0000"


async def test_an_ioc_limit_fills_what_its_limit_reaches_and_cancels_the_rest(
    kraken: FakeKraken, exchange: Any
) -> None:
    kraken.set_liquidity("4000", levels=5)  # 0.1 BTC at 40002, 40022.1, 40042.2, …
    kraken.set_balance("ZEUR", "30000")
    placed = await exchange.create_order(
        "BTC/EUR", "limit", "buy", 0.5, 40030, {"timeInForce": "IOC"}
    )
    assert only(kraken.requests, "AddOrder")[0].params["timeinforce"] == "IOC"
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["filled"]) == ("canceled", 0.2)
    assert order["average"] == pytest.approx(40012.05)
    [stored] = kraken.orders
    assert stored.maker_volume == 0 and stored.fee == D("16.0008") + D("16.00884")


async def test_an_ioc_limit_below_the_ask_fills_nothing(kraken: FakeKraken, exchange: Any) -> None:
    placed = await exchange.create_order(
        "BTC/EUR", "limit", "buy", 0.1, 40000, {"timeInForce": "IOC"}
    )
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["filled"]) == ("canceled", 0.0)
    assert (await private(kraken, "BalanceEx"))["result"]["ZEUR"]["hold_trade"] == "0.0000"


async def test_an_ioc_order_filled_in_full_is_closed(kraken: FakeKraken, exchange: Any) -> None:
    placed = await exchange.create_order(
        "BTC/EUR", "limit", "sell", 0.1, 39000, {"timeInForce": "IOC"}
    )
    order = await exchange.fetch_order(placed["id"])
    assert (order["status"], order["average"]) == ("closed", 39998.0)  # at the bid, not 39000


async def test_a_market_order_walks_a_thin_book(kraken: FakeKraken, exchange: Any) -> None:
    kraken.set_liquidity("4000", levels=2)  # 0.1 at 40002, then deep at 40022.1
    await exchange.create_order("BTC/EUR", "market", "buy", 0.15)
    [order] = kraken.orders
    assert [(f.price, f.volume) for f in order.fills] == [
        (D("40002"), D("0.1")),
        (D("40022.1"), D("0.05")),
    ]


async def test_an_unknown_time_in_force_is_refused(kraken: FakeKraken) -> None:
    body = await private(kraken, "AddOrder", _limit("buy", "0.1", "39000") | {"timeinforce": "GTD"})
    assert body == {"error": ["EGeneral:Invalid arguments:timeinforce"]}


# -- fees and the trading counter ------------------------------------------------------------


async def test_trade_volume_reports_taker_and_maker_fees(kraken: FakeKraken) -> None:
    body = await private(kraken, "TradeVolume", {"pair": "XBTEUR,ETHEUR"})
    assert body["result"]["fees"]["XXBTZEUR"]["fee"] == "0.4000"
    assert body["result"]["fees_maker"]["XETHZEUR"]["fee"] == "0.2500"


async def test_quick_amends_and_cancels_pay_krakens_trading_counter_penalties() -> None:
    shared = FakeTime()
    async with open_kraken(rate_limit_tier="starter", clock=shared.clock) as kraken:
        kraken.set_balance("ZEUR", "10000")
        client = make_exchange(kraken)
        try:
            placed = await post_only_buy(client, 39990)
            assert kraken.trading_level("BTC/EUR") == 1  # AddOrder: +1
            await client.edit_order(placed["id"], "BTC/EUR", "limit", "buy", None, 39991)
            assert kraken.trading_level("BTC/EUR") == 5  # amend under 5 s: +1 +3
            shared.now += 16
            await client.edit_order(placed["id"], "BTC/EUR", "limit", "buy", None, 39992)
            assert kraken.trading_level("BTC/EUR") == 1  # 5 - 16 s x 1/s, then +1
            await client.cancel_order(placed["id"])
            assert kraken.trading_level("BTC/EUR") == 9  # cancel under 5 s after the amend: +8
            assert kraken.trading_level("ETH/EUR") == 0  # one counter per pair
        finally:
            await client.close()


async def test_the_trading_counter_refuses_an_order_past_its_threshold() -> None:
    shared = FakeTime()
    async with open_kraken(rate_limit_tier="starter", clock=shared.clock) as kraken:
        kraken.set_balance("ZEUR", "100000")
        for n in range(6):  # each: +1 add, +8 cancel (under 5 s)
            await private(kraken, "AddOrder", _limit("buy", "0.01", "39000", cl_ord_id=f"r{n}"))
            await private(kraken, "CancelOrder", {"cl_ord_id": f"r{n}"})
        assert kraken.trading_level("BTC/EUR") == 54
        placed = await private(kraken, "AddOrder", _limit("buy", "0.01", "39000"))
        assert placed["error"] == []  # 55
        cancel = {"txid": kraken.orders[-1].txid}  # +8 would make 63 > 60
        refused = await private(kraken, "CancelOrder", cancel)
        assert refused["error"] == ["EOrder:Rate limit exceeded"]
        assert kraken.orders[-1].is_open and kraken.rate_limit_errors == 1


def _limit(side: str, volume: str, price: str, **extra: str) -> dict[str, str]:
    order = {"pair": "XBTEUR", "type": side, "ordertype": "limit", "volume": volume}
    return order | {"price": price} | extra
