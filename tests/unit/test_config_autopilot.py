"""AUTOPILOT, AUTOPILOT_MAX_TRADE_VALUE and AUTOPILOT_MAX_RUNS_PER_DAY: defaults, refusals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.bootstrap import app_settings
from core.config import Settings, load_settings
from core.domain.autopilot import AutopilotMode, Caps
from core.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def refusal(**values: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, **values)
    return str(caught.value)


def test_the_autopilot_is_off_by_default_with_four_runs_a_day_and_no_cap() -> None:
    settings = load_settings(_env_file=None)
    assert settings.autopilot == "off"
    assert settings.autopilot_max_trade_value is None
    assert settings.autopilot_max_runs_per_day == 4
    assert app_settings(settings).autopilot.mode is AutopilotMode.OFF


def test_auto_with_a_cap_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOPILOT", "Auto")
    monkeypatch.setenv("AUTOPILOT_MAX_TRADE_VALUE", "500")
    monkeypatch.setenv("AUTOPILOT_MAX_RUNS_PER_DAY", "2")
    monkeypatch.setenv("ALERT_INTERVAL_MINUTES", "15")
    autopilot = app_settings(load_settings(_env_file=None)).autopilot
    assert autopilot.mode is AutopilotMode.AUTO
    assert autopilot.caps == Caps(Decimal(500), 2)
    assert autopilot.check_interval_minutes == 15


def test_auto_without_a_cap_is_refused_in_one_line_naming_the_variable() -> None:
    message = refusal(autopilot="auto")
    assert message == (
        "AUTOPILOT_MAX_TRADE_VALUE: is required when AUTOPILOT=auto: the most one automatic "
        "rebalance may trade, in EUR (example: AUTOPILOT_MAX_TRADE_VALUE=500)"
    )


def test_an_empty_cap_counts_as_unset() -> None:
    assert "AUTOPILOT_MAX_TRADE_VALUE" in refusal(autopilot="auto", autopilot_max_trade_value="")
    assert load_settings(_env_file=None, autopilot_max_trade_value="").autopilot == "off"


def test_propose_needs_no_cap() -> None:
    assert load_settings(_env_file=None, autopilot="propose").autopilot == "propose"


@pytest.mark.parametrize(
    ("values", "start"),
    [
        ({"autopilot": "on"}, "AUTOPILOT: must be 'off', 'propose' or 'auto', got 'on'"),
        ({"autopilot_max_trade_value": "0"}, "AUTOPILOT_MAX_TRADE_VALUE: must be greater than 0"),
        ({"autopilot_max_trade_value": "lots"}, "AUTOPILOT_MAX_TRADE_VALUE: 'lots' is not a"),
        ({"autopilot_max_runs_per_day": "0"}, "AUTOPILOT_MAX_RUNS_PER_DAY: must be greater"),
        ({"autopilot_max_runs_per_day": "2.5"}, "AUTOPILOT_MAX_RUNS_PER_DAY: '2.5' is not a"),
    ],
)
def test_wrong_autopilot_values_are_refused_with_an_example(
    values: dict[str, object], start: str
) -> None:
    message = refusal(**values)
    assert message.startswith(start), message
    assert "(example: AUTOPILOT" in message and "\n" not in message
