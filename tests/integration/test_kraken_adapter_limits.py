"""`KrakenExchange`'s limit-order calls (post-only, IOC, amend, cancel, the touch) through the
real ccxt client, over HTTP, against the fake Kraken's order book."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal

import pytest

from core.app.ports import MakerExchange
from core.domain.models import Side
from core.domain.orders import OrderAmend, OrderRequest, OrderType, TimeInForce
from core.domain.statuses import OrderStatus
from core.errors import (
    AmendOutcomeUnknown,
    CancelOutcomeUnknown,
    MarketNotTradable,
    PostOnlyRejected,
    RateLimited,
    UnknownOrder,
)
from core.exchange.kraken import KrakenExchange
from tests.fakes.clocks import FakeTime
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken

D = Decimal
WAVE = ["BTC/EUR", "ETH/EUR", "SOL/EUR", "ADA/EUR"]


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def kraken(fake_time: FakeTime) -> AsyncIterator[FakeKraken]:
    async with FakeKraken(seed=11, clock=fake_time.clock) as server:
        server.set_balance("ZEUR", "10000")
        yield server


@pytest.fixture
async def exchange(kraken: FakeKraken, fake_time: FakeTime) -> AsyncIterator[KrakenExchange]:
    client = KrakenExchange(
        api_url=kraken.url,
        api_key=TEST_API_KEY,
        api_secret=TEST_API_SECRET,
        timeout_s=2,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    )
    await client.tradable_assets("EUR")  # markets loaded: the tests count trading requests
    kraken.clear_requests()
    yield client
    await client.close()


def maker(client_id: str, side: Side, amount: str, price: str | Decimal) -> OrderRequest:
    return OrderRequest(
        client_id, "BTC/EUR", side, D(amount), OrderType.LIMIT, D(price), post_only=True
    )


def ioc(client_id: str, side: Side, amount: str, price: str | Decimal) -> OrderRequest:
    return OrderRequest(
        client_id,
        "BTC/EUR",
        side,
        D(amount),
        OrderType.LIMIT,
        D(price),
        time_in_force=TimeInForce.IOC,
    )


def sent(kraken: FakeKraken, endpoint: str) -> list[dict[str, str]]:
    return [r.params for r in kraken.requests if r.endpoint == endpoint]


def test_the_adapter_is_an_exchange_whose_limit_orders_rest(exchange: KrakenExchange) -> None:
    port: MakerExchange = exchange
    assert port.name == "kraken"


# -- the touch ---------------------------------------------------------------------------------


async def test_a_whole_waves_touch_is_one_ticker_request(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    await exchange.place_order(maker("w-1", Side.BUY, "0.01", "39999.5"))
    kraken.clear_requests()
    touch = await exchange.touch([*WAVE, "NOPE/EUR", "BTC/EUR"])
    assert kraken.counts() == {"Ticker": 1}
    assert sorted(sent(kraken, "Ticker")[0]["pair"].split(",")) == sorted(
        ["ADAEUR", "SOLEUR", "XETHZEUR", "XXBTZEUR"]
    )
    assert set(touch) == set(WAVE)
    assert (touch["BTC/EUR"].bid, touch["BTC/EUR"].ask) == (D("39999.5"), D("40002"))  # ours


# -- post-only orders --------------------------------------------------------------------------


async def test_a_post_only_order_at_the_touch_fills_as_maker(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    touch = (await exchange.touch(["BTC/EUR"]))["BTC/EUR"]
    placed = await exchange.place_order(maker("m-1", Side.BUY, "0.01", touch.bid))
    assert (placed.state, placed.order_type, placed.post_only) == (
        OrderStatus.OPEN,
        OrderType.LIMIT,
        True,
    )
    assert placed.limit_price == D("39998")
    [add] = sent(kraken, "AddOrder")
    assert (add["ordertype"], add["price"], add["oflags"], add["cl_ord_id"]) == (
        "limit",
        "39998",
        "fciq,post",
        "m-1",
    )
    kraken.trade("BTC/EUR", "sell", "1")
    [order] = (await exchange.fetch_orders([placed.exchange_id])).values()
    assert (order.state, order.filled, order.average_price) == (
        OrderStatus.FILLED,
        D("0.01"),
        D("39998"),
    )
    assert order.fee == D("0.99995")  # 0.25 % of 399.98
    assert (order.maker_share, order.post_only, order.limit_price) == (D(1), True, D("39998"))


async def test_limit_prices_go_out_on_the_grid_on_the_orders_safe_side(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    buy = await exchange.place_order(maker("g-1", Side.BUY, "0.01", "39990.37"))
    sell = await exchange.place_order(maker("g-2", Side.SELL, "0.01", "40010.31"))
    assert (buy.limit_price, sell.limit_price) == (D("39990.3"), D("40010.4"))
    assert [p["price"] for p in sent(kraken, "AddOrder")] == ["39990.3", "40010.4"]


async def test_a_post_only_order_that_would_cross_is_refused_and_nothing_is_placed(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    with pytest.raises(PostOnlyRejected) as caught:
        await exchange.place_order(maker("x-1", Side.BUY, "0.01", "40002"))
    assert caught.value.reason == "EOrder:Post only order"
    assert kraken.orders == [] and kraken.count("AddOrder") == 1


async def test_a_post_only_order_cancelled_by_kraken_reads_back_with_its_reason(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.post_only_cross = "cancel"
    placed = await exchange.place_order(maker("x-2", Side.SELL, "0.01", "39998"))
    found = await exchange.find_orders(["x-2"])
    assert (found["x-2"].exchange_id, found["x-2"].state) == (
        placed.exchange_id,
        OrderStatus.CANCELED,
    )
    assert found["x-2"].reason == "Post only order"


async def test_a_post_only_market_takes_post_only_orders_only(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    request = OrderRequest("p-1", "AIO/EUR", Side.BUY, D("40"), OrderType.LIMIT, D("0.09"))
    with pytest.raises(MarketNotTradable):
        await exchange.place_order(request)
    assert kraken.count("AddOrder") == 0
    placed = await exchange.place_order(replace(request, post_only=True))
    assert kraken.order(placed.exchange_id).is_open


# -- amends --------------------------------------------------------------------------------------


async def test_a_touch_that_runs_away_is_followed_with_one_amend_that_keeps_the_order(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(maker("a-1", Side.BUY, "0.02", "39998"))
    kraken.trade("BTC/EUR", "sell", "0.005")
    kraken.set_price("BTC/EUR", bid="40098", ask="40102")  # the market runs away upwards
    touch = (await exchange.touch(["BTC/EUR"]))["BTC/EUR"]
    assert touch.bid == D("40098")
    kraken.clear_requests()
    amended = await exchange.amend_order(
        OrderAmend("BTC/EUR", Side.BUY, exchange_id=placed.exchange_id, limit_price=touch.bid)
    )
    assert kraken.counts() == {"AmendOrder": 1}
    assert sent(kraken, "AmendOrder") == [
        {"txid": placed.exchange_id, "post_only": "true", "limit_price": "40098"}
    ]
    assert amended.amend_id.startswith("T") and amended.limit_price == D("40098")
    kraken.trade("BTC/EUR", "sell", "1")
    found = await exchange.find_orders(["a-1"])
    order = found["a-1"]
    assert (order.exchange_id, order.state, order.filled) == (
        placed.exchange_id,
        OrderStatus.FILLED,
        D("0.02"),
    )
    assert order.cost == D("199.99") + D("601.47")  # 0.005 at 39998, then 0.015 at 40098


async def test_an_amend_by_client_id_changes_the_quantity(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    await exchange.place_order(maker("a-2", Side.BUY, "0.02", "39990"))
    result = await exchange.amend_order(
        OrderAmend("BTC/EUR", Side.BUY, client_id="a-2", amount=D("0.0123456789"))
    )
    assert result.amount == D("0.01234567")
    assert sent(kraken, "AmendOrder")[0] == {
        "cl_ord_id": "a-2",
        "post_only": "true",
        "order_qty": "0.01234567",
    }
    [order] = kraken.orders
    assert order.volume == D("0.01234567")


async def test_a_post_only_amend_across_the_book_is_refused_and_the_order_stays(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(maker("a-3", Side.BUY, "0.01", "39990"))
    with pytest.raises(PostOnlyRejected):
        await exchange.amend_order(
            OrderAmend("BTC/EUR", Side.BUY, exchange_id=placed.exchange_id, limit_price=D(40005))
        )
    assert kraken.order(placed.exchange_id).price == D("39990")


async def test_an_amend_of_an_order_that_already_filled_is_unknown_order(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(maker("a-4", Side.BUY, "0.01", "39998"))
    kraken.trade("BTC/EUR", "sell", "1")
    with pytest.raises(UnknownOrder):
        await exchange.amend_order(
            OrderAmend("BTC/EUR", Side.BUY, exchange_id=placed.exchange_id, limit_price=D(39999))
        )


@pytest.mark.parametrize("fault", ["drop_after", "html", "http502", "EService:Unavailable"])
async def test_a_lost_answer_to_an_amend_is_outcome_unknown_and_never_resent(
    kraken: FakeKraken, exchange: KrakenExchange, fault: str
) -> None:
    placed = await exchange.place_order(maker("a-5", Side.BUY, "0.01", "39990"))
    kraken.fail_next("AmendOrder", fault)
    amend = OrderAmend("BTC/EUR", Side.BUY, exchange_id=placed.exchange_id, limit_price=D(39991))
    with pytest.raises(AmendOutcomeUnknown, match="read the order"):
        await exchange.amend_order(amend)
    assert kraken.count("AmendOrder") == 1
    applied = kraken.order(placed.exchange_id).price == D("39991")
    assert applied is (fault == "drop_after")  # only drop_after reached the engine


async def test_an_amend_over_the_pairs_trading_counter_is_rate_limited_not_unknown(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(maker("a-6", Side.BUY, "0.01", "39990"))
    kraken.rate_limit_tier = "starter"
    for n in range(15):  # +4 each: placed or amended under 5 s ago
        await exchange.amend_order(
            OrderAmend("BTC/EUR", Side.BUY, exchange_id=placed.exchange_id, amount=D("0.01"))
        )
        assert kraken.trading_level("BTC/EUR") == 4 * (n + 1)
    with pytest.raises(RateLimited):
        await exchange.amend_order(
            OrderAmend("BTC/EUR", Side.BUY, exchange_id=placed.exchange_id, amount=D("0.01"))
        )


# -- cancels and IOC -----------------------------------------------------------------------------


async def test_a_partial_fill_then_a_cancel_is_confirmed_with_its_fills(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(maker("c-1", Side.BUY, "0.01", "39998"))
    kraken.trade("BTC/EUR", "sell", "0.004")
    [partial] = (await exchange.fetch_orders([placed.exchange_id])).values()
    assert (partial.state, partial.filled) == (OrderStatus.OPEN, D("0.004"))
    kraken.clear_requests()
    final = await exchange.cancel_order(exchange_id=placed.exchange_id)
    assert kraken.counts() == {"CancelOrder": 1, "QueryOrders": 1}
    assert (final.state, final.filled, final.reason) == (
        OrderStatus.PARTIAL,
        D("0.004"),
        "User requested",
    )
    assert (await exchange.balances()).untradable == {}  # nothing held any more


async def test_a_cancel_by_client_id_is_confirmed_from_the_closed_orders(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(maker("c-2", Side.SELL, "0.01", "40010"))
    final = await exchange.cancel_order(client_id="c-2")
    assert (final.exchange_id, final.state, final.client_id) == (
        placed.exchange_id,
        OrderStatus.CANCELED,
        "c-2",
    )
    assert sent(kraken, "CancelOrder")[-1] == {"cl_ord_id": "c-2"}
    assert sent(kraken, "ClosedOrders")[-1] == {"cl_ord_id": "c-2"}


async def test_cancelling_an_order_that_filled_meanwhile_returns_its_fill(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(maker("c-3", Side.BUY, "0.01", "39998"))
    kraken.trade("BTC/EUR", "sell", "1")
    final = await exchange.cancel_order(exchange_id=placed.exchange_id)
    assert (final.state, final.filled) == (OrderStatus.FILLED, D("0.01"))
    with pytest.raises(UnknownOrder):
        await exchange.cancel_order(client_id="never-placed")


@pytest.mark.parametrize("fault", ["drop_after", "http503"])
async def test_a_lost_answer_to_a_cancel_is_outcome_unknown(
    kraken: FakeKraken, exchange: KrakenExchange, fault: str
) -> None:
    placed = await exchange.place_order(maker("c-4", Side.BUY, "0.01", "39990"))
    kraken.fail_next("CancelOrder", fault)
    with pytest.raises(CancelOutcomeUnknown):
        await exchange.cancel_order(exchange_id=placed.exchange_id)
    assert kraken.count("CancelOrder") == 1


async def test_an_ioc_fallback_is_capped_at_its_limit_and_the_rest_is_cancelled(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.set_liquidity("4000", levels=5)  # 0.1 BTC a level, 40002, 40022.1, 40042.2 ...
    kraken.set_balance("ZEUR", "20000")
    touch = (await exchange.touch(["BTC/EUR"]))["BTC/EUR"]
    cap = touch.ask * D("1.0006")  # MAX_SLIPPAGE_PCT 0.06: 40026.0...
    placed = await exchange.place_order(ioc("f-1", Side.BUY, "0.25", cap))
    assert placed.limit_price == D("40026.0")
    assert sent(kraken, "AddOrder")[0]["timeinforce"] == "IOC"
    [order] = (await exchange.fetch_orders([placed.exchange_id])).values()
    assert (order.state, order.filled) == (OrderStatus.PARTIAL, D("0.2"))
    assert order.average_price is not None and order.average_price <= cap
    assert order.maker_share is None  # Kraken's record cannot tell an IOC from a GTC limit


async def test_an_ioc_sell_fills_in_full_at_the_bid_when_the_book_is_deep(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    placed = await exchange.place_order(ioc("f-2", Side.SELL, "0.1", "39900"))
    [order] = (await exchange.fetch_orders([placed.exchange_id])).values()
    assert (order.state, order.average_price) == (OrderStatus.FILLED, D("39998"))
    assert order.fee == D("15.9992")  # taker 0.40 % of 3999.80


# -- fees ----------------------------------------------------------------------------------------


async def test_markets_carry_the_accounts_maker_and_taker_fees_from_one_trade_volume_call(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.maker_fee_pct, kraken.taker_fee_pct = "0.16", "0.26"
    data = await exchange.market_data(["BTC", "ETH"], "EUR")
    btc = data.markets["BTC"]
    assert (btc.maker_fee, btc.taker_fee) == (D("0.0016"), D("0.0026"))
    assert kraken.count("TradeVolume") == 1


async def test_without_keys_the_fees_are_the_pairs_schedule(kraken: FakeKraken) -> None:
    public = KrakenExchange(api_url=kraken.url, timeout_s=2)
    try:
        data = await public.market_data(["BTC", "USDC"], "EUR")
    finally:
        await public.close()
    assert (data.markets["BTC"].maker_fee, data.markets["BTC"].taker_fee) == (
        D("0.0025"),
        D("0.004"),
    )
    assert data.markets["USDC"].maker_fee == D("0.002")
    assert data.markets["BTC"].price_tick == D("0.1")
