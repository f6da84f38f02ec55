"""`KrakenExchange` through the real ccxt client, over HTTP, against the fake Kraken server."""

from __future__ import annotations

import asyncio
import decimal
import time
from collections.abc import AsyncIterator, Coroutine
from decimal import Decimal
from typing import Any

import pytest

from core.app.ports import Exchange
from core.domain.models import Side
from core.domain.orders import OrderRequest
from core.domain.statuses import OrderStatus
from core.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    MarketNotTradable,
    OrderOutcomeUnknown,
    OrderRejected,
    RateLimited,
    UnknownPair,
)
from core.exchange.kraken import KrakenExchange
from core.exchange.pacing import SLACK_S
from tests.fakes.clocks import FakeTime
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken

ASSETS = ["BTC", "ETH", "SOL", "ADA"]


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    async with FakeKraken(seed=11) as server:
        server.set_balance("ZEUR", "1000")
        yield server


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def adapter(kraken: FakeKraken, fake_time: FakeTime | None = None, **kwargs: Any) -> KrakenExchange:
    timing = fake_time or FakeTime()
    config: dict[str, Any] = {
        "api_url": kraken.url,
        "api_key": TEST_API_KEY,
        "api_secret": TEST_API_SECRET,
        "timeout_s": 2,
        "clock": timing.clock,
        "sleep": timing.sleep,
    }
    return KrakenExchange(**(config | kwargs))


@pytest.fixture
async def exchange(kraken: FakeKraken, fake_time: FakeTime) -> AsyncIterator[KrakenExchange]:
    client = adapter(kraken, fake_time)
    yield client
    await client.close()


def buy(client_id: str, amount: str, symbol: str = "BTC/EUR") -> OrderRequest:
    return OrderRequest(client_id, symbol, Side.BUY, Decimal(amount))


def params_of(kraken: FakeKraken, endpoint: str) -> list[dict[str, str]]:
    return [r.params for r in kraken.requests if r.endpoint == endpoint]


# -- the port and its secrets --------------------------------------------------------------------


def test_the_adapter_is_an_exchange_named_kraken(exchange: KrakenExchange) -> None:
    port: Exchange = exchange
    assert port.name == "kraken"


def test_the_repr_shows_neither_key_nor_secret(exchange: KrakenExchange) -> None:
    assert TEST_API_KEY not in repr(exchange)
    assert TEST_API_SECRET not in repr(exchange)
    assert "with keys" in repr(exchange)


# -- markets ---------------------------------------------------------------------------------------


async def test_markets_are_loaded_once_and_then_served_from_the_cache(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    await exchange.market_data(ASSETS, "EUR")
    await exchange.market_data(ASSETS, "EUR")
    await exchange.tradable_assets("EUR")
    assert (kraken.count("AssetPairs"), kraken.count("Assets")) == (1, 1)
    assert kraken.count("Ticker") == 2


async def test_markets_are_loaded_again_once_a_day_old(
    kraken: FakeKraken, exchange: KrakenExchange, fake_time: FakeTime
) -> None:
    await exchange.market_data(ASSETS, "EUR")
    fake_time.now += 23 * 3600
    await exchange.market_data(ASSETS, "EUR")
    assert kraken.count("AssetPairs") == 1
    fake_time.now += 3600
    await exchange.market_data(ASSETS, "EUR")
    assert kraken.count("AssetPairs") == 2


async def test_market_rules_are_read_from_krakens_pair_info(exchange: KrakenExchange) -> None:
    data = await exchange.market_data(["BTC"], "EUR")
    btc = data.markets["BTC"]
    assert (btc.symbol, btc.exchange_id, btc.status) == ("BTC/EUR", "XXBTZEUR", "online")
    assert (btc.amount_decimals, btc.price_decimals) == (8, 1)
    assert (btc.order_min, btc.cost_min) == (Decimal("0.00005"), Decimal("0.45"))


async def test_the_taker_fee_is_the_accounts_own_from_one_trade_volume_call(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.taker_fee_pct = "0.25"
    first = await exchange.market_data(ASSETS, "EUR")
    second = await exchange.market_data(ASSETS, "EUR")
    assert first.markets["BTC"].taker_fee == Decimal("0.0025")
    assert second.markets["SOL"].taker_fee == Decimal("0.0025")
    assert kraken.count("TradeVolume") == 1
    assert set(params_of(kraken, "TradeVolume")[0]["pair"].split(",")) == {
        "XXBTZEUR",
        "XETHZEUR",
        "SOLEUR",
        "ADAEUR",
    }


async def test_the_fee_schedule_is_used_when_trade_volume_fails(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.fail_next("TradeVolume", "EGeneral:Permission denied")
    data = await exchange.market_data(["BTC"], "EUR")
    assert data.markets["BTC"].taker_fee == Decimal("0.004")


async def test_without_keys_market_data_makes_no_private_call(kraken: FakeKraken) -> None:
    public = adapter(kraken, api_key=None, api_secret=None)
    try:
        data = await public.market_data(ASSETS, "EUR")
    finally:
        await public.close()
    assert set(data.quotes) == set(ASSETS)
    assert kraken.count(api="private") == 0


async def test_tradable_assets_are_the_bases_with_an_online_market_against_the_quote(
    exchange: KrakenExchange,
) -> None:
    tradable = await exchange.tradable_assets("EUR")
    assert {"BTC", "ETH", "SOL", "ADA", "DOT"} <= tradable
    assert tradable.isdisjoint({"AGLD", "AIO", "REP", "EUR"})


# -- market data -----------------------------------------------------------------------------------


async def test_market_data_asks_one_ticker_request_for_exactly_the_needed_pairs(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    data = await exchange.market_data(ASSETS, "EUR")
    assert kraken.count("Ticker") == 1
    pairs = params_of(kraken, "Ticker")[0]["pair"].split(",")
    assert sorted(pairs) == ["ADAEUR", "SOLEUR", "XETHZEUR", "XXBTZEUR"]
    assert data.quotes["BTC"].bid == Decimal("39998")
    assert data.quotes["BTC"].ask == Decimal("40002")
    assert data.source.name == "kraken"
    assert data.blocked == {}


async def test_a_preview_makes_one_ticker_and_one_balance_request_when_run_concurrently(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    data, balances = await asyncio.gather(exchange.market_data(ASSETS, "EUR"), exchange.balances())
    assert (kraken.count("Ticker"), kraken.count("BalanceEx")) == (1, 1)
    assert (kraken.count("AssetPairs"), kraken.count("Assets")) == (1, 1)
    assert set(data.quotes) == set(ASSETS)
    assert balances.tradable["BTC"] == Decimal("0.5")


async def test_assets_without_a_usable_market_or_price_are_blocked_with_a_reason(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.set_pair_status("SOLEUR", "cancel_only")
    kraken.set_price("ADAEUR", bid=0, ask=0)
    data = await exchange.market_data(["BTC", "SOL", "ADA", "NOPE", "EUR"], "EUR")
    assert data.blocked == {
        "SOL": "SOL/EUR is cancel_only on Kraken, not online",
        "ADA": "no usable price for ADA/EUR from Kraken",
        "NOPE": "no NOPE/EUR market on Kraken",
    }
    assert "ADA" not in data.quotes
    assert all(q.bid > 0 and q.ask > 0 for q in data.quotes.values())
    assert set(data.markets) == {"BTC", "SOL", "ADA"}


async def test_an_html_page_instead_of_a_ticker_is_unavailability_not_a_missing_price(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    await exchange.market_data(ASSETS, "EUR")
    kraken.fail_next("Ticker", "html", times=4)
    with pytest.raises(ExchangeUnavailable, match="instead of Kraken's JSON envelope"):
        await exchange.market_data(ASSETS, "EUR")


async def test_a_ticker_refusing_a_cached_pair_reloads_the_markets_and_asks_again(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    await exchange.market_data(ASSETS, "EUR")
    kraken.fail_next("Ticker", "EQuery:Unknown asset pair")
    data = await exchange.market_data(ASSETS, "EUR")
    assert set(data.quotes) == set(ASSETS)
    assert kraken.count("AssetPairs") == 2
    assert kraken.count("Ticker") == 3


# -- balances --------------------------------------------------------------------------------------


async def test_auto_earn_counts_as_tradable_and_staked_ids_are_kept_apart(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.set_balances(
        {
            "XXBT": "0.5",
            "XBT.F": "0.25",
            "XETH": "1",
            "ETH2.S": "2",
            "ETH2": "0.3",
            "DOT.S": "4",
            "EUR.HOLD": "7",
            "ZEUR": "100",
            "ADA": "0",
        },
        replace=True,
    )
    balances = await exchange.balances()
    assert balances.tradable == {
        "BTC": Decimal("0.75"),
        "ETH": Decimal("1"),
        "ETH2": Decimal("0.3"),
        "EUR": Decimal("100"),
    }
    assert balances.untradable == {
        "ETH2.S": Decimal("2"),
        "DOT.S": Decimal("4"),
        "EUR.HOLD": Decimal("7"),
    }


async def test_an_html_page_on_balance_raises_unavailable_not_zero_holdings(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.fail_next("BalanceEx", "html", times=4)
    with pytest.raises(ExchangeUnavailable, match="HTTP 200"):
        await exchange.balances()
    assert kraken.count("BalanceEx") == 4


async def test_reads_are_retried_with_backoff_on_service_unavailable_then_succeed(
    kraken: FakeKraken, exchange: KrakenExchange, fake_time: FakeTime
) -> None:
    kraken.fail_next("BalanceEx", "EService:Unavailable", times=2)
    balances = await exchange.balances()
    assert balances.tradable["ETH"] == Decimal("2")
    assert kraken.count("BalanceEx") == 3
    assert fake_time.slept == [0.5, 1]


async def test_reads_are_retried_after_a_bad_gateway(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.fail_next("Ticker", "http502")
    data = await exchange.market_data(["BTC"], "EUR")
    assert "BTC" in data.quotes
    assert kraken.count("Ticker") == 2


async def test_reads_are_not_retried_on_an_invalid_key(
    kraken: FakeKraken, exchange: KrakenExchange, fake_time: FakeTime
) -> None:
    kraken.fail_next("BalanceEx", "EAPI:Invalid key")
    with pytest.raises(AuthenticationError, match="KRAKEN_API_KEY"):
        await exchange.balances()
    assert kraken.count("BalanceEx") == 1
    assert fake_time.slept == []


async def test_a_wrong_secret_is_an_auth_error_that_shows_neither_key_nor_secret(
    kraken: FakeKraken,
) -> None:
    wrong_secret = "c2VjcmV0LXRoYXQtaXMtd3Jvbmc="
    client = adapter(kraken, api_secret=wrong_secret)
    try:
        with pytest.raises(AuthenticationError, match="Kraken rejected the API key") as caught:
            await client.balances()
    finally:
        await client.close()
    assert TEST_API_KEY not in str(caught.value)
    assert wrong_secret not in str(caught.value)


async def test_balances_without_keys_say_which_settings_to_set(kraken: FakeKraken) -> None:
    public = adapter(kraken, api_key=None, api_secret=None)
    try:
        with pytest.raises(AuthenticationError, match="KRAKEN_API_KEY and KRAKEN_API_SECRET"):
            await public.balances()
    finally:
        await public.close()


# -- orders ----------------------------------------------------------------------------------------


async def test_an_order_is_sent_once_with_its_client_id_and_fee_in_quote(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    result = await exchange.place_order(buy("plan1-BTC", "0.0012345678912"))
    assert (result.state, result.client_id, result.amount) == (
        OrderStatus.OPEN,
        "plan1-BTC",
        Decimal("0.00123456"),
    )
    (sent,) = params_of(kraken, "AddOrder")
    assert sent["cl_ord_id"] == "plan1-BTC"
    assert sent["oflags"] == "fciq"
    assert (sent["pair"], sent["type"], sent["ordertype"]) == ("XXBTZEUR", "buy", "market")
    assert sent["volume"] == "0.00123456"
    assert [o.txid for o in kraken.orders] == [result.exchange_id]


async def test_a_placed_order_is_found_by_its_client_id_with_its_fill(
    exchange: KrakenExchange,
) -> None:
    placed = await exchange.place_order(buy("plan1-BTC", "0.01"))
    found = await exchange.find_orders(["plan1-BTC", "never-sent"])
    assert set(found) == {"plan1-BTC"}
    order = found["plan1-BTC"]
    assert (order.exchange_id, order.symbol, order.side) == (
        placed.exchange_id,
        "BTC/EUR",
        Side.BUY,
    )
    assert (order.state, order.filled, order.average_price) == (
        OrderStatus.FILLED,
        Decimal("0.01"),
        Decimal("40002"),
    )
    assert order.cost == Decimal("400.02")
    assert order.fee == Decimal("1.60008")


async def test_an_unknown_client_id_costs_one_filtered_closed_orders_request(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    await exchange.place_order(buy("plan1-BTC", "0.01"))
    await exchange.find_orders(["plan1-BTC", "never-sent"])
    assert kraken.count("OpenOrders") == 1
    filtered = [p for p in params_of(kraken, "ClosedOrders") if "cl_ord_id" in p]
    assert filtered == [{"cl_ord_id": "never-sent"}]


async def test_an_order_older_than_the_latest_closed_page_is_found_by_its_client_id(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.set_balance("ZEUR", "100000")
    await exchange.place_order(buy("oldest", "0.001"))
    for n in range(50):
        await exchange.place_order(buy(f"later-{n}", "0.001"))
    found = await exchange.find_orders(["oldest", "later-49"])
    assert set(found) == {"oldest", "later-49"}
    assert found["oldest"].state is OrderStatus.FILLED


async def test_several_orders_are_fetched_in_one_query_orders_request(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    first = await exchange.place_order(buy("plan1-BTC", "0.001"))
    second = await exchange.place_order(buy("plan1-ETH", "0.1", "ETH/EUR"))
    orders = await exchange.fetch_orders([first.exchange_id, second.exchange_id])
    assert kraken.count("QueryOrders") == 1
    assert params_of(kraken, "QueryOrders")[0]["txid"] == (
        f"{first.exchange_id},{second.exchange_id}"
    )
    assert {o.state for o in orders.values()} == {OrderStatus.FILLED}
    assert orders[second.exchange_id].symbol == "ETH/EUR"
    assert orders[second.exchange_id].client_id == "plan1-ETH"


async def test_an_unknown_txid_is_a_plain_exchange_error_not_an_order_rejection(
    exchange: KrakenExchange,
) -> None:
    with pytest.raises(ExchangeError) as caught:
        await exchange.fetch_orders(["OAAAAA-BBBBB-CCCCCC"])
    assert type(caught.value) is ExchangeError
    assert caught.value.reason == "EOrder:Invalid order"


async def test_a_lost_answer_to_add_order_is_outcome_unknown_and_the_order_is_found_once(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.fail_next("AddOrder", "drop_after")
    with pytest.raises(OrderOutcomeUnknown, match="never send it again"):
        await exchange.place_order(buy("plan1-BTC", "0.01"))
    found = await exchange.find_orders(["plan1-BTC"])
    assert found["plan1-BTC"].state is OrderStatus.FILLED
    assert kraken.count("AddOrder") == 1
    assert len(kraken.orders) == 1


@pytest.mark.parametrize("fault", ["drop", "html", "http502", "EService:Unavailable"])
async def test_an_ambiguous_answer_to_add_order_is_outcome_unknown_and_never_retried(
    kraken: FakeKraken, exchange: KrakenExchange, fault: str
) -> None:
    kraken.fail_next("AddOrder", fault)
    with pytest.raises(OrderOutcomeUnknown):
        await exchange.place_order(buy("plan1-BTC", "0.01"))
    assert kraken.count("AddOrder") == 1


async def test_an_add_order_that_times_out_is_outcome_unknown(kraken: FakeKraken) -> None:
    client = adapter(kraken, timeout_s=0.2)
    kraken.fail_next("AddOrder", "delay_after:1")
    try:
        with pytest.raises(OrderOutcomeUnknown):
            await client.place_order(buy("plan1-BTC", "0.01"))
    finally:
        await client.close()
    assert kraken.count("AddOrder") == 1


async def test_insufficient_funds_is_a_definite_refusal(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    with pytest.raises(InsufficientFunds) as caught:
        await exchange.place_order(buy("plan1-BTC", "1"))
    assert caught.value.reason == "EOrder:Insufficient funds"
    assert kraken.orders == []


async def test_a_cost_below_the_minimum_is_refused_with_krakens_reason(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.add_synthetic_market("AAA", price="1", ordermin="0.1", costmin="5")
    kraken.set_balance("ZEUR", "100")
    with pytest.raises(OrderRejected) as caught:
        await exchange.place_order(buy("plan1-AAA", "1", "AAA/EUR"))
    assert caught.value.reason == "EOrder:Cost minimum not met"
    assert "EOrder:Cost minimum not met" in str(caught.value)


async def test_a_market_that_left_online_is_refused_as_not_tradable(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    await exchange.market_data(["SOL"], "EUR")
    kraken.set_pair_status("SOLEUR", "cancel_only")
    with pytest.raises(MarketNotTradable, match="cancel_only"):
        await exchange.place_order(buy("plan1-SOL", "1", "SOL/EUR"))


async def test_an_order_on_a_market_known_not_online_is_not_sent(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    with pytest.raises(MarketNotTradable, match="cancel_only"):
        await exchange.place_order(buy("plan1-AGLD", "10", "AGLD/EUR"))
    assert kraken.count("AddOrder") == 0


async def test_an_order_on_an_unknown_market_is_not_sent(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    with pytest.raises(UnknownPair):
        await exchange.place_order(buy("plan1-ZZZ", "1", "ZZZ/EUR"))
    assert kraken.count("AddOrder") == 0


async def test_an_amount_that_truncates_to_zero_is_not_sent(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    with pytest.raises(OrderRejected, match="zero at 8 decimals"):
        await exchange.place_order(buy("plan1-BTC", "0.000000001"))
    assert kraken.count("AddOrder") == 0


async def test_a_rate_limited_order_is_a_definite_refusal(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.fail_next("AddOrder", "EOrder:Rate limit exceeded")
    with pytest.raises(RateLimited):
        await exchange.place_order(buy("plan1-BTC", "0.01"))
    assert kraken.orders == []


async def test_a_rate_limited_read_is_retried_after_the_counter_has_room_again(
    kraken: FakeKraken, exchange: KrakenExchange, fake_time: FakeTime
) -> None:
    kraken.fail_next("BalanceEx", "EAPI:Rate limit exceeded")
    await exchange.balances()
    assert kraken.count("BalanceEx") == 2
    assert sum(fake_time.slept) == pytest.approx(1 / 0.33 + SLACK_S)


# -- pacing and nonces -----------------------------------------------------------------------------


async def test_concurrent_private_calls_reach_kraken_with_increasing_nonces(
    kraken: FakeKraken, exchange: KrakenExchange
) -> None:
    kraken.latency = 0.01
    placed = await exchange.place_order(buy("plan1-BTC", "0.001"))
    kraken.fail_next("BalanceEx", "delay:0.2")  # the first call is overtaken if not serialized
    calls: list[Coroutine[Any, Any, object]] = [exchange.balances() for _ in range(4)]
    calls += [exchange.fetch_orders([placed.exchange_id]) for _ in range(4)]
    calls += [exchange.find_orders(["plan1-BTC"]), exchange.market_data(ASSETS, "EUR")]
    await asyncio.gather(*calls)
    private = [r for r in kraken.requests if r.api == "private"]
    assert all(r.errors == [] for r in kraken.requests)
    nonces = [int(r.nonce or 0) for r in private]
    assert nonces == sorted(set(nonces))


async def test_private_calls_are_paced_under_krakens_counter_without_real_waiting() -> None:
    shared = FakeTime()
    async with FakeKraken(rate_limit_tier="starter", clock=shared.clock) as server:
        client = adapter(server, shared, tier="starter")
        try:
            for _ in range(20):
                await client.balances()
        finally:
            await client.close()
    assert server.rate_limit_errors == 0
    assert server.count("BalanceEx") == 20
    assert 5 / 0.33 <= sum(shared.slept) < 5 / 0.33 + 0.1


async def test_a_preview_and_an_execution_take_no_fixed_delay(kraken: FakeKraken) -> None:
    client = KrakenExchange(api_url=kraken.url, api_key=TEST_API_KEY, api_secret=TEST_API_SECRET)
    kraken.set_balance("ZEUR", "10000")
    try:
        started = time.monotonic()
        await asyncio.gather(client.market_data(ASSETS, "EUR"), client.balances())
        placed = [
            await client.place_order(buy(f"plan1-{a}", "0.5", f"{a}/EUR")) for a in ("SOL", "ETH")
        ]
        await client.fetch_orders([p.exchange_id for p in placed])
        await client.find_orders([p.client_id or "" for p in placed])
        elapsed = time.monotonic() - started
    finally:
        await client.close()
    assert elapsed < 2.0  # ccxt's own limiter (1 s per call) would take 7 s or more


async def test_placing_an_order_leaves_the_decimal_context_as_it_was(
    exchange: KrakenExchange,
) -> None:
    """ccxt's precision helpers set ROUND_HALF_UP on the context they run in; figures
    rounded after an order (reports, P&L) must keep Python's own rounding."""
    before = decimal.getcontext().copy()
    await exchange.place_order(buy("plan1-BTC", "0.0012345678912"))
    after = decimal.getcontext()
    assert (after.rounding, after.prec) == (before.rounding, before.prec)
