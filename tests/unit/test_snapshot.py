from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from core.exchange.snapshot import load_snapshot, parse_asset_pair

SNAPSHOT_DIR = files("core.exchange.snapshot")
FIXTURES = Path("/work/shared/fixtures/kraken")


def test_the_snapshot_says_it_is_a_snapshot_of_2026_01_12_with_illustrative_prices() -> None:
    source = load_snapshot().source
    assert source.name == "snapshot"
    assert source.is_snapshot
    assert source.as_of == datetime(2026, 1, 12, tzinfo=UTC)
    assert source.note == "bundled snapshot of 2026-01-12; prices illustrative"


def test_btc_eur_keeps_krakens_recorded_rules() -> None:
    btc = load_snapshot().markets["EUR"]["BTC"]
    assert btc.symbol == "BTC/EUR"
    assert btc.exchange_id == "XXBTZEUR"
    assert btc.amount_decimals == 8
    assert btc.price_decimals == 1
    assert btc.order_min == Decimal("0.00005")
    assert btc.cost_min == Decimal("0.45")
    assert btc.taker_fee == Decimal("0.004")
    assert btc.online


def test_stablecoin_pairs_keep_their_lower_taker_fee() -> None:
    assert load_snapshot().markets["EUR"]["USDC"].taker_fee == Decimal("0.002")


def test_kraken_ids_are_normalized_in_symbols_and_keys() -> None:
    snapshot = load_snapshot()
    assert snapshot.markets["EUR"]["DOGE"].symbol == "DOGE/EUR"
    assert snapshot.markets["EUR"]["XRP"].exchange_id == "XXRPZEUR"
    assert snapshot.markets["BTC"]["ETH"].symbol == "ETH/BTC"
    assert snapshot.markets["USD"]["SOL"].cost_min == Decimal("0.5")


@pytest.mark.parametrize(
    ("asset", "mid"), [("BTC", "40000"), ("ETH", "2500"), ("SOL", "100"), ("ADA", "0.5")]
)
def test_the_worked_example_prices_are_the_exact_mids(asset: str, mid: str) -> None:
    quote = load_snapshot().quotes["EUR"][asset]
    assert quote.mid == Decimal(mid)
    assert quote.bid < quote.mid < quote.ask


def test_every_price_is_positive_with_a_small_spread_at_the_pairs_precision() -> None:
    snapshot = load_snapshot()
    for base, quote in snapshot.quotes["EUR"].items():
        market = snapshot.markets["EUR"][base]
        half_spread_pct = (quote.ask - quote.mid) / quote.mid * 100
        assert 0 < quote.bid < quote.ask, base
        assert Decimal("0.01") <= half_spread_pct <= Decimal("0.025"), base
        for price in (quote.bid, quote.ask):
            assert price == round(price, market.price_decimals), base


def test_every_eur_pair_has_a_labelled_price() -> None:
    snapshot = load_snapshot()
    assert set(snapshot.quotes["EUR"]) == set(snapshot.markets["EUR"])
    for symbol, source in snapshot.price_sources.items():
        assert "illustrative" in source, symbol


def test_the_price_file_is_honest_about_its_date_and_origin() -> None:
    tickers = json.loads((SNAPSHOT_DIR / "tickers.json").read_text())
    assert tickers["as_of"] == "2026-01-12"
    assert "illustrative" in tickers["note"]
    assert "2021-09-12" in tickers["note"]


def test_the_market_rules_are_the_recorded_asset_pairs_verbatim() -> None:
    bundled = (SNAPSHOT_DIR / "AssetPairs.json").read_bytes()
    if not FIXTURES.exists():
        pytest.skip("shared fixtures not mounted")
    assert bundled == (FIXTURES / "AssetPairs.json").read_bytes()


@pytest.mark.parametrize(
    ("asset", "reason"),
    [
        ("AGLD", "AGLD/EUR is cancel_only, not online"),
        ("AIO", "AIO/EUR is post_only, not online"),
        ("REP", "REP/EUR is reduce_only, not online"),
        ("FOO", "no FOO/EUR market in the snapshot"),
    ],
)
def test_assets_without_an_online_eur_market_are_blocked_with_the_reason(
    asset: str, reason: str
) -> None:
    data = load_snapshot().market_data([asset, "BTC"], "EUR")
    assert data.blocked == {asset: reason}
    assert "BTC" in data.quotes


def test_an_online_market_without_a_price_is_blocked_not_priced_at_zero() -> None:
    data = load_snapshot().market_data(["SOL"], "USD")
    assert data.blocked == {"SOL": "no SOL/USD price in the snapshot"}
    assert "SOL" not in data.quotes


def test_market_data_covers_the_requested_assets_and_skips_the_quote_currency() -> None:
    data = load_snapshot().market_data(["BTC", "ETH", "SOL", "ADA", "EUR"], "EUR")
    assert set(data.markets) == set(data.quotes) == {"BTC", "ETH", "SOL", "ADA"}
    assert data.blocked == {}
    assert data.quote_currency == "EUR"
    assert data.source.is_snapshot


def test_tradable_assets_are_the_online_bases_against_the_quote() -> None:
    tradable = load_snapshot().tradable("EUR")
    assert {"BTC", "ETH", "SOL", "ADA", "DOT", "XRP", "DOGE", "LINK", "0G"} <= tradable
    assert not {"AGLD", "AIO", "REP"} & tradable


def test_an_older_asset_pairs_entry_without_status_or_costmin_still_parses() -> None:
    if not FIXTURES.exists():
        pytest.skip("shared fixtures not mounted")
    old = json.loads((FIXTURES / "AssetPairs.2021-09-12.json").read_text())["result"]
    pair_id, fields = next(iter(old.items()))
    market = parse_asset_pair(pair_id, fields)
    assert market.cost_min == Decimal(0)
    assert market.taker_fee > 0


def test_snapshot_markets_keep_the_maker_fee_and_tick_size() -> None:
    btc = load_snapshot().market("BTC", "EUR")
    assert btc is not None
    assert (btc.maker_fee, btc.tick_size) == (Decimal("0.0025"), Decimal("0.1"))
