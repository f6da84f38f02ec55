"""Kraken's raw answers (recorded fixtures) read into domain values, without I/O."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt.async_support as ccxt
import pytest

from core.domain.models import Market
from core.domain.orders import OrderType
from core.domain.statuses import OrderStatus
from core.errors import ExchangeUnavailable, OrderRejected
from core.exchange.kraken_order_parse import (
    first_txid,
    order_from_raw,
    order_state,
    order_volume,
    orders_by_client_id,
)
from core.exchange.kraken_parse import (
    MarketCatalog,
    account_maker_fees,
    account_taker_fees,
    balances_from_raw,
    market_from_ccxt,
    quote_from_ticker,
    result_of,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fakes" / "kraken_fixtures"


def recorded(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def ccxt_market(pair_id: str, info: dict[str, Any], base: str, quote: str) -> dict[str, Any]:
    """The fields of a ccxt market the adapter reads, around Kraken's raw pair."""
    step = Decimal(1).scaleb(-int(info["lot_decimals"]))
    return {
        "id": pair_id,
        "symbol": f"{base}/{quote}",
        "base": base,
        "quote": quote,
        "spot": True,
        "precision": {"amount": float(step)},
        "info": info,
    }


def btc_eur(**changes: Any) -> Market:
    info = recorded("AssetPairs.json")["result"]["XXBTZEUR"] | changes
    return market_from_ccxt(ccxt_market("XXBTZEUR", info, "BTC", "EUR"))


def test_a_market_takes_its_rules_from_the_raw_pair() -> None:
    market = btc_eur()
    assert (market.amount_decimals, market.price_decimals) == (8, 1)
    assert (market.order_min, market.cost_min) == (Decimal("0.00005"), Decimal("0.45"))
    assert market.taker_fee == Decimal("0.004")
    assert market.online


def test_a_pair_without_a_status_is_not_treated_as_online() -> None:
    info = recorded("AssetPairs.json")["result"]["XXBTZEUR"]
    info = {k: v for k, v in info.items() if k not in {"status", "costmin"}}
    market = market_from_ccxt(ccxt_market("XXBTZEUR", info, "BTC", "EUR"))
    assert (market.status, market.online, market.cost_min) == ("unknown", False, Decimal(0))


def test_a_pair_without_a_fee_schedule_gets_krakens_highest_taker_fee() -> None:
    assert btc_eur(fees=[]).taker_fee == Decimal("0.004")


def test_a_coarser_ccxt_precision_limits_the_amount_decimals() -> None:
    info = recorded("AssetPairs.json")["result"]["XXBTZEUR"]
    market = ccxt_market("XXBTZEUR", info, "BTC", "EUR") | {"precision": {"amount": 0.001}}
    assert market_from_ccxt(market).amount_decimals == 3


def test_the_account_fee_comes_from_trade_volume_percentages() -> None:
    result = {"fees": {"XXBTZEUR": {"fee": "0.2600"}, "BROKEN": {"fee": "n/a"}}}
    assert account_taker_fees(result) == {"XXBTZEUR": Decimal("0.0026")}
    assert account_taker_fees({"currency": "ZUSD"}) == {}


def test_the_catalog_finds_a_pair_by_id_or_altname_and_applies_the_account_fee() -> None:
    info = recorded("AssetPairs.json")["result"]["XXBTZEUR"]
    catalog = MarketCatalog.from_ccxt([ccxt_market("XXBTZEUR", info, "BTC", "EUR")], 0.0)
    catalog.fees["XXBTZEUR"] = Decimal("0.0016")
    by_alt = catalog.by_pair("XBTEUR")
    assert by_alt is not None
    assert by_alt.exchange_id == "XXBTZEUR"
    assert by_alt.taker_fee == Decimal("0.0016")
    assert catalog.pick({"XBTEUR": 1}, by_alt) == 1


def test_a_quote_is_the_tickers_best_bid_and_ask() -> None:
    entry = recorded("Ticker.XXBTZEUR.json")["result"]["XXBTZEUR"]
    quote = quote_from_ticker("BTC/EUR", entry)
    assert quote is not None
    assert (quote.bid, quote.ask) == (Decimal("38857.10000"), Decimal("38857.20000"))


@pytest.mark.parametrize(
    "entry",
    [
        None,
        {},
        {"a": [], "b": []},
        {"a": ["0.0", "1"], "b": ["0.0", "1"]},
        {"a": ["x"], "b": ["1"]},
    ],
)
def test_a_missing_zero_or_malformed_price_is_no_quote_never_zero(entry: object) -> None:
    assert quote_from_ticker("BTC/EUR", entry) is None


def test_recorded_balances_keep_staked_eth2_apart_from_eth_and_drop_zeros() -> None:
    names = ccxt.kraken().safe_currency_code
    balances = balances_from_raw(recorded("Balance.json")["result"], names)
    assert balances.untradable == {"ETH2.S": Decimal("0.62367")}
    assert balances.tradable["ETH2"] == Decimal("0.025427779")
    assert balances.tradable["ETH"] == Decimal("0.000000802")
    assert balances.tradable["BTC"] == Decimal("0.00000026")
    assert balances.tradable["EUR"] == Decimal("60")
    assert "LINK" not in balances.tradable


def test_balance_ex_entries_add_auto_earn_to_the_asset_and_keep_other_suffixes() -> None:
    names = ccxt.kraken().safe_currency_code
    result = {
        "XXBT": {"balance": "1.0", "hold_trade": "0.5"},
        "XBT.F": {"balance": "0.25", "hold_trade": "0"},
        "XBT.M": {"balance": "2", "hold_trade": "0"},
        "DOT.P": {"balance": "3", "hold_trade": "0"},
        "USD.HOLD": {"balance": "4", "hold_trade": "0"},
    }
    balances = balances_from_raw(result, names)
    assert balances.tradable == {"BTC": Decimal("0.75")}  # 0.5 is held by an open order
    assert balances.untradable == {
        "BTC (open orders)": Decimal("0.5"),
        "BTC.M": Decimal("2"),
        "DOT.P": Decimal("3"),
        "USD.HOLD": Decimal("4"),
    }


def test_a_balance_that_is_not_a_number_is_refused_not_read_as_zero() -> None:
    with pytest.raises(ExchangeUnavailable, match="XXBT"):
        balances_from_raw({"XXBT": {"balance": None}}, str)


def test_an_answer_without_a_result_object_is_refused() -> None:
    with pytest.raises(ExchangeUnavailable, match="no result"):
        result_of({"error": []})
    with pytest.raises(ExchangeUnavailable, match=r"no result\.open"):
        result_of({"error": [], "result": {"open": []}}, "open")


@pytest.mark.parametrize(
    ("status", "filled", "state"),
    [
        ("pending", "0", OrderStatus.OPEN),
        ("open", "0.5", OrderStatus.OPEN),
        ("closed", "1", OrderStatus.FILLED),
        ("closed", "0.5", OrderStatus.PARTIAL),
        ("canceled", "0.5", OrderStatus.PARTIAL),
        ("expired", "0.5", OrderStatus.PARTIAL),
        ("canceled", "0", OrderStatus.CANCELED),
        ("expired", "0", OrderStatus.CANCELED),
        ("something_new", "0", OrderStatus.OPEN),
    ],
)
def test_krakens_order_status_and_fill_give_the_domain_state(
    status: str, filled: str, state: OrderStatus
) -> None:
    assert order_state(status, Decimal(1), Decimal(filled)) is state


def test_a_recorded_filled_market_order_reads_with_cost_fee_and_average_price() -> None:
    (txid, info), *_ = recorded("QueryOrders.closed-market.json")["result"].items()
    order = order_from_raw(txid, info, lambda pair: None)
    assert (order.exchange_id, order.symbol, order.state) == (
        "OGMZCL-KC6MC-ZRBGM6",
        "LTCUSDT",
        OrderStatus.FILLED,
    )
    assert (order.amount, order.filled) == (Decimal("0.1"), Decimal("0.1"))
    assert (order.cost, order.fee) == (Decimal("7.105741"), Decimal("0.018475"))
    assert order.average_price == Decimal("71.05741")
    assert order.client_id is None


def test_a_recorded_open_order_has_no_average_price() -> None:
    (txid, info), *_ = recorded("OpenOrders.json")["result"]["open"].items()
    order = order_from_raw(txid, info, lambda pair: btc_eur() if pair == "ETHEUR" else None)
    assert (order.state, order.average_price, order.symbol) == (OrderStatus.OPEN, None, "BTC/EUR")


def test_orders_are_matched_by_their_client_order_id() -> None:
    (txid, info), *_ = recorded("ClosedOrders.json")["result"]["closed"].items()
    raw = {txid: info | {"cl_ord_id": "plan1-ETH"}, "OTHER": info}
    found = orders_by_client_id(raw, ["plan1-ETH", "plan1-BTC"], lambda pair: None)
    assert list(found) == ["plan1-ETH"]
    assert found["plan1-ETH"].exchange_id == txid


def test_the_order_id_is_the_first_txid_of_add_orders_answer() -> None:
    assert first_txid(recorded("AddOrder.json")["result"]) == "OMHP5J-W3RDC-C7LHOO"


@pytest.mark.parametrize("result", [None, "<html>", {}, {"txid": []}, {"txid": [""]}])
def test_an_add_order_answer_without_a_txid_has_no_order_id(result: object) -> None:
    assert first_txid(result) is None


@pytest.mark.parametrize(
    ("amount", "sent"),
    [("0.123456789", "0.12345678"), ("0.999999999", "0.99999999"), ("2", "2.00000000")],
)
def test_volumes_are_truncated_to_the_lot_decimals_never_rounded_up(amount: str, sent: str) -> None:
    assert order_volume(btc_eur(), Decimal(amount)) == sent


def test_a_volume_that_truncates_to_zero_is_refused_before_sending() -> None:
    with pytest.raises(OrderRejected, match="order not sent"):
        order_volume(btc_eur(), Decimal("0.000000009"))


def test_a_market_carries_the_maker_fee_and_the_tick_size_of_its_pair() -> None:
    market = btc_eur()
    assert (market.maker_fee, market.tick_size, market.price_tick) == (
        Decimal("0.0025"),
        Decimal("0.1"),
        Decimal("0.1"),
    )
    assert btc_eur(fees_maker=[]).maker_fee is None
    assert btc_eur(fees_maker=[]).maker_fee_or_taker == Decimal("0.004")


def test_the_account_maker_fee_comes_from_trade_volume_fees_maker() -> None:
    result = {"fees": {"XXBTZEUR": {"fee": "0.26"}}, "fees_maker": {"XXBTZEUR": {"fee": "0.16"}}}
    assert account_maker_fees(result) == {"XXBTZEUR": Decimal("0.0016")}
    info = recorded("AssetPairs.json")["result"]["XXBTZEUR"]
    catalog = MarketCatalog.from_ccxt([ccxt_market("XXBTZEUR", info, "BTC", "EUR")], 0.0)
    catalog.maker_fees["XXBTZEUR"] = Decimal("0.0016")
    found = catalog.by_symbol("BTC/EUR")
    assert found is not None
    assert (found.maker_fee, found.taker_fee) == (Decimal("0.0016"), Decimal("0.004"))


def test_a_recorded_open_post_only_order_reads_as_a_maker_limit_order() -> None:
    raw = recorded("QueryOrders.json")["result"]["OR6EGN-KQSEG-AMI6CL"]
    order = order_from_raw("OR6EGN-KQSEG-AMI6CL", raw, lambda pair: None)
    assert (order.order_type, order.limit_price, order.post_only) == (
        OrderType.LIMIT,
        Decimal("50"),
        True,
    )
    assert (order.state, order.maker_share) == (OrderStatus.OPEN, Decimal(1))


def test_a_recorded_market_order_reads_as_taker_and_a_plain_limit_as_unknown() -> None:
    market = recorded("QueryOrders.closed-market.json")["result"]["OGMZCL-KC6MC-ZRBGM6"]
    taken = order_from_raw("OGMZCL-KC6MC-ZRBGM6", market, lambda pair: None)
    assert (taken.order_type, taken.limit_price, taken.maker_share) == (
        OrderType.MARKET,
        None,
        Decimal(0),
    )
    limit = next(iter(recorded("ClosedOrders.json")["result"]["closed"].items()))
    plain = order_from_raw(limit[0], limit[1], lambda pair: None)
    assert (plain.order_type, plain.limit_price, plain.maker_share) == (
        OrderType.LIMIT,
        Decimal("2882.44"),
        None,
    )


def test_an_order_record_without_a_side_is_an_unreadable_answer_not_a_crash() -> None:
    (txid, info), *_ = recorded("ClosedOrders.json")["result"]["closed"].items()
    malformed = info | {"descr": {k: v for k, v in info["descr"].items() if k != "type"}}
    with pytest.raises(ExchangeUnavailable, match="no side"):
        order_from_raw(txid, malformed, lambda pair: None)
