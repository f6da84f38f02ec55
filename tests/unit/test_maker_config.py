"""ORDER_TYPE, MAKER_TIMEOUT_SECONDS and MAX_SLIPPAGE_PCT: defaults, parsing, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.bootstrap import app_settings
from core.config import load_settings
from core.domain.maker_rules import OrderFlow
from core.errors import ConfigError


def test_orders_are_market_orders_unless_maker_first_is_asked_for() -> None:
    settings = load_settings(_env_file=None)
    assert (settings.order_type, settings.maker_timeout_seconds, settings.max_slippage_pct) == (
        "market",
        60,
        Decimal("0.5"),
    )
    assert app_settings(settings).order_type is OrderFlow.MARKET


def test_maker_first_and_its_knobs_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORDER_TYPE", "Maker-First")
    monkeypatch.setenv("MAKER_TIMEOUT_SECONDS", "90")
    monkeypatch.setenv("MAX_SLIPPAGE_PCT", "0.25")
    app = app_settings(load_settings(_env_file=None))
    assert (app.order_type, app.maker_timeout_seconds, app.max_slippage_pct) == (
        OrderFlow.MAKER_FIRST,
        90,
        Decimal("0.25"),
    )


@pytest.mark.parametrize(
    ("values", "line"),
    [
        (
            {"order_type": "limit"},
            "ORDER_TYPE: must be 'market' or 'maker-first', got 'limit' "
            "(example: ORDER_TYPE=maker-first (or market))",
        ),
        (
            {"maker_timeout_seconds": "0"},
            "MAKER_TIMEOUT_SECONDS: must be greater than 0, got 0 "
            "(example: MAKER_TIMEOUT_SECONDS=60)",
        ),
        (
            {"max_slippage_pct": "-1"},
            "MAX_SLIPPAGE_PCT: must be greater than 0, got -1 (example: MAX_SLIPPAGE_PCT=0.5)",
        ),
    ],
)
def test_a_wrong_maker_setting_is_refused_in_one_line_with_an_example(
    values: dict[str, str], line: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **values)
    assert str(refused.value) == line
