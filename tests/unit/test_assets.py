from __future__ import annotations

import pytest

from core.exchange.assets import normalize_asset


@pytest.mark.parametrize(
    ("kraken_id", "common"),
    [
        ("XXBT", "BTC"),
        ("XBT", "BTC"),
        ("XETH", "ETH"),
        ("ZEUR", "EUR"),
        ("ZUSD", "USD"),
        ("XXRP", "XRP"),
        ("XXDG", "DOGE"),
        ("XDG", "DOGE"),
        ("XLTC", "LTC"),
        ("XREP", "REP"),
    ],
)
def test_legacy_kraken_ids_become_common_codes(kraken_id: str, common: str) -> None:
    assert normalize_asset(kraken_id) == common


@pytest.mark.parametrize(
    "kraken_id", ["SOL", "ADA", "DOT", "LINK", "0G", "USDC", "USDT", "EURQ", "XTZ", "ZRX"]
)
def test_ids_without_a_legacy_prefix_are_left_alone(kraken_id: str) -> None:
    assert normalize_asset(kraken_id) == kraken_id


def test_four_letter_ids_are_stripped_only_when_they_are_legacy_ids() -> None:
    assert normalize_asset("ZETA") == "ZETA"
    assert normalize_asset("XCAD") == "XCAD"


def test_a_balance_suffix_is_kept_after_the_common_code() -> None:
    assert normalize_asset("XBT.F") == "BTC.F"
    assert normalize_asset("XXBT.M") == "BTC.M"
    assert normalize_asset("ETH2.S") == "ETH2.S"
