from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.bootstrap import app_settings
from core.config import Settings, WeightSpecError, load_settings, parse_weight_spec
from core.domain.models import RebalanceTo, Strategy
from core.errors import ConfigError, InputError

KEY = "kraken-key-0123456789abcdef"
SECRET = "c3VwZXItc2VjcmV0LXByaXZhdGUta2V5LWJ5dGVz"  # base64
TOKEN = "123456789:AAE-secret_bot_token_value"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No variable from the developer's shell and no stray `.env` may leak into a test."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def refusal(**values: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, **values)
    return str(caught.value)


# --- defaults and parsing -------------------------------------------------------------


def test_defaults_describe_a_safe_paper_portfolio() -> None:
    settings = load_settings(_env_file=None)

    assert settings.trading_mode == "paper"
    assert settings.kraken_api_key is None
    assert settings.kraken_api_secret is None
    assert settings.kraken_api_url == "https://api.kraken.com"
    assert settings.kraken_tier == "starter"
    assert settings.quote_currency == "EUR"
    assert dict(settings.target_weights) == {
        "BTC": Decimal(40),
        "ETH": Decimal(30),
        "SOL": Decimal(20),
        "ADA": Decimal(10),
    }
    assert settings.min_trade_value == Decimal(10)
    assert settings.drift_band_pct == Decimal(5)
    assert settings.max_orders is None
    assert dict(settings.paper_balances) == {
        "BTC": Decimal("0.5"),
        "ETH": Decimal(2),
        "SOL": Decimal(20),
        "ADA": Decimal(1000),
    }
    assert settings.database_url == "sqlite:///./data/rebalance.db"
    assert (settings.log_format, settings.log_level) == ("auto", "INFO")
    assert settings.confirm_ttl_seconds == 120
    assert settings.rebalance_cooldown_minutes == 60
    assert settings.price_drift_tolerance_pct == Decimal(1)
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.telegram_allowed_users == ()
    assert settings.alert_interval_minutes == 60


def test_settings_are_read_from_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "TRADING_MODE": "LIVE",
        "KRAKEN_API_KEY": KEY,
        "KRAKEN_API_SECRET": SECRET,
        "KRAKEN_API_URL": "http://127.0.0.1:8123/",
        "KRAKEN_TIER": "Pro",
        "QUOTE_CURRENCY": "usd",
        "TARGET_WEIGHTS": "btc=50, eth=25.5, usd=24.5",
        "MIN_TRADE_VALUE": "0",
        "DRIFT_BAND_PCT": "2.5",
        "MAX_ORDERS": "3",
        "PAPER_BALANCES": "BTC=1,USD=100.25",
        "DATABASE_URL": "sqlite:///:memory:",
        "LOG_FORMAT": "JSON",
        "LOG_LEVEL": "debug",
        "CONFIRM_TTL_SECONDS": "30",
        "REBALANCE_COOLDOWN_MINUTES": "0",
        "PRICE_DRIFT_TOLERANCE_PCT": "0.5",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": "http://127.0.0.1:8124",
        "TELEGRAM_ALLOWED_USERS": "111, 222",
        "ALERT_INTERVAL_MINUTES": "15",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = load_settings(_env_file=None)

    assert settings.trading_mode == "live"
    assert settings.kraken_api_key is not None
    assert settings.kraken_api_key.get_secret_value() == KEY
    assert settings.kraken_api_url == "http://127.0.0.1:8123"
    assert settings.kraken_tier == "pro"
    assert settings.quote_currency == "USD"
    assert list(settings.target_weights.items()) == [
        ("BTC", Decimal(50)),
        ("ETH", Decimal("25.5")),
        ("USD", Decimal("24.5")),
    ]
    assert settings.min_trade_value == 0
    assert settings.drift_band_pct == Decimal("2.5")
    assert settings.max_orders == 3
    assert dict(settings.paper_balances) == {"BTC": Decimal(1), "USD": Decimal("100.25")}
    assert settings.database_url == "sqlite:///:memory:"
    assert (settings.log_format, settings.log_level) == ("json", "DEBUG")
    assert settings.confirm_ttl_seconds == 30
    assert settings.rebalance_cooldown_minutes == 0
    assert settings.price_drift_tolerance_pct == Decimal("0.5")
    assert settings.telegram_api_url == "http://127.0.0.1:8124"
    assert settings.telegram_allowed_users == (111, 222)
    assert settings.alert_interval_minutes == 15
    assert settings.secret_values() == (KEY, SECRET, TOKEN)


def test_rebalance_to_defaults_to_target_and_relative_bands_to_unset() -> None:
    settings = load_settings(_env_file=None)

    assert settings.rebalance_to == RebalanceTo(Strategy.TARGET)
    assert settings.drift_band_relative_pct is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("target", RebalanceTo(Strategy.TARGET)),
        ("Band-Edge", RebalanceTo(Strategy.BAND_EDGE)),
        (" halfway ", RebalanceTo(Strategy.HALFWAY)),
        ("50%", RebalanceTo(Strategy.PARTIAL, Decimal(50))),
        ("12.5 %", RebalanceTo(Strategy.PARTIAL, Decimal("12.5"))),
        ("100%", RebalanceTo(Strategy.PARTIAL, Decimal(100))),
    ],
)
def test_rebalance_to_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: RebalanceTo
) -> None:
    monkeypatch.setenv("REBALANCE_TO", text)

    assert load_settings(_env_file=None).rebalance_to == expected


def test_the_strategy_and_relative_bands_reach_the_planner_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REBALANCE_TO", "halfway")
    monkeypatch.setenv("DRIFT_BAND_RELATIVE_PCT", "25")

    plan = app_settings(load_settings(_env_file=None)).plan

    assert plan.rebalance_to == RebalanceTo(Strategy.HALFWAY)
    assert plan.drift_band_relative_pct == Decimal(25)


def test_variable_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("quote_currency", "GBP")

    assert load_settings(_env_file=None).quote_currency == "GBP"


def test_a_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# comment\nTARGET_WEIGHTS=BTC=60,EUR=40\nMAX_ORDERS=2\nUNRELATED_VARIABLE=ignored\n"
    )

    settings = load_settings()

    assert dict(settings.target_weights) == {"BTC": Decimal(60), "EUR": Decimal(40)}
    assert settings.max_orders == 2


def test_an_explicit_env_file_is_read_and_the_environment_wins_over_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("QUOTE_CURRENCY=USD\nMIN_TRADE_VALUE=25\n")
    monkeypatch.setenv("MIN_TRADE_VALUE", "5")

    settings = load_settings(_env_file=env_file)

    assert (settings.quote_currency, settings.min_trade_value) == ("USD", Decimal(5))


def test_empty_variables_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAX_ORDERS", "KRAKEN_API_KEY", "TELEGRAM_BOT_TOKEN", "TELEGRAM_ALLOWED_USERS"):
        monkeypatch.setenv(name, "")

    settings = load_settings(_env_file=None)

    assert settings.max_orders is None
    assert settings.kraken_api_key is None
    assert settings.telegram_bot_token is None
    assert settings.telegram_allowed_users == ()


def test_settings_built_in_code_accept_mappings_and_are_frozen() -> None:
    settings = Settings(_env_file=None, target_weights={"btc": 70, "eur": "30"}, max_orders=None)

    assert dict(settings.target_weights) == {"BTC": Decimal(70), "EUR": Decimal(30)}
    with pytest.raises(ValueError, match="frozen"):
        settings.max_orders = 5  # type: ignore[misc]


def test_live_mode_with_both_kraken_keys_is_accepted() -> None:
    settings = load_settings(
        _env_file=None, trading_mode="live", kraken_api_key=KEY, kraken_api_secret=SECRET
    )

    assert settings.trading_mode == "live"


# --- parse_weight_spec ----------------------------------------------------------------


def test_a_weight_spec_parses_into_an_ordered_mapping_of_decimals() -> None:
    weights = parse_weight_spec(" eth=49.995, btc = 50 ,EUR=0.005 ")

    assert list(weights.items()) == [
        ("ETH", Decimal("49.995")),
        ("BTC", Decimal(50)),
        ("EUR", Decimal("0.005")),
    ]


def test_a_weight_spec_may_be_off_by_a_hundredth() -> None:
    assert sum(parse_weight_spec("BTC=33.33,ETH=33.33,SOL=33.33").values()) == Decimal("99.99")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("BTC=40,ETH=50", "weights sum to 90, not 100"),
        ("BTC=50,btc=50", "BTC appears twice"),
        ("BTC=abc,ETH=100", "'BTC=abc': abc is not a number"),
        ("BTC=105,ETH=-5", "ETH weight is negative (-5)"),
        ("BTC=nan,ETH=100", "'BTC=nan': nan is not a number"),
        ("BTC", "'BTC' is not SYMBOL=NUMBER"),
        ("B-TC=100", "'B-TC' is not a symbol"),
        ("", "no weights given"),
    ],
)
def test_a_bad_weight_spec_is_refused_with_a_specific_message(spec: str, message: str) -> None:
    with pytest.raises(WeightSpecError) as caught:
        parse_weight_spec(spec)

    assert str(caught.value).startswith(message)


def test_a_weight_spec_error_is_a_value_error_and_an_input_error() -> None:
    with pytest.raises(WeightSpecError) as caught:
        parse_weight_spec("BTC=1")

    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, InputError)


# --- refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "variable", "problem"),
    [
        ({"target_weights": "BTC=40,ETH=50"}, "TARGET_WEIGHTS", "weights sum to 90, not 100"),
        ({"target_weights": "BTC=50,BTC=50"}, "TARGET_WEIGHTS", "BTC appears twice"),
        ({"target_weights": "BTC=105,ETH=-5"}, "TARGET_WEIGHTS", "ETH weight is negative (-5)"),
        ({"target_weights": "BTC=abc"}, "TARGET_WEIGHTS", "'BTC=abc': abc is not a number"),
        ({"trading_mode": "demo"}, "TRADING_MODE", "must be 'paper' or 'live', got 'demo'"),
        ({"trading_mode": "live"}, "TRADING_MODE", "live trading needs KRAKEN_API_KEY"),
        ({"max_orders": "lots"}, "MAX_ORDERS", "'lots' is not a whole number"),
        ({"max_orders": "0"}, "MAX_ORDERS", "must be greater than 0, got 0"),
        ({"min_trade_value": "-1"}, "MIN_TRADE_VALUE", "must be at least 0, got -1"),
        ({"drift_band_pct": "100"}, "DRIFT_BAND_PCT", "must be less than 100"),
        ({"telegram_allowed_users": "12,abc"}, "TELEGRAM_ALLOWED_USERS", "'abc' is not a numeric"),
        ({"paper_balances": "BTC=-1"}, "PAPER_BALANCES", "BTC balance is negative (-1)"),
        ({"quote_currency": "E"}, "QUOTE_CURRENCY", "'E' is not a currency code"),
        ({"kraken_api_url": "api.kraken.com"}, "KRAKEN_API_URL", "'api.kraken.com' is not an"),
        ({"kraken_tier": "gold"}, "KRAKEN_TIER", "must be 'starter', 'intermediate' or 'pro'"),
        ({"log_level": "verbose"}, "LOG_LEVEL", "must be 'DEBUG', 'INFO', 'WARNING' or"),
        ({"confirm_ttl_seconds": "0"}, "CONFIRM_TTL_SECONDS", "must be greater than 0"),
        ({"database_url": "rebalance.db"}, "DATABASE_URL", "'rebalance.db' is not a"),
        ({"rebalance_to": "edge"}, "REBALANCE_TO", "'edge' is not target, band-edge, halfway"),
        ({"rebalance_to": "0%"}, "REBALANCE_TO", "'0%' is not a percentage above 0% and at"),
        ({"rebalance_to": "150%"}, "REBALANCE_TO", "'150%' is not a percentage above 0%"),
        ({"rebalance_to": "half%"}, "REBALANCE_TO", "'half%' is not a percentage above 0%"),
        ({"drift_band_relative_pct": "0"}, "DRIFT_BAND_RELATIVE_PCT", "must be greater than 0"),
        ({"drift_band_relative_pct": "101"}, "DRIFT_BAND_RELATIVE_PCT", "must be at most 100"),
        ({"drift_band_relative_pct": "x"}, "DRIFT_BAND_RELATIVE_PCT", "'x' is not a number"),
    ],
)
def test_each_refusal_is_one_line_naming_the_variable_and_an_example(
    values: dict[str, str], variable: str, problem: str
) -> None:
    message = refusal(**values)

    assert "\n" not in message
    assert message.startswith(f"{variable}: {problem}")
    assert f"(example: {variable}=" in message
    assert "pydantic" not in message.lower()
    assert "validation error" not in message.lower()


def test_the_weight_refusal_reads_exactly_as_documented() -> None:
    assert refusal(target_weights="BTC=40,ETH=50") == (
        "TARGET_WEIGHTS: weights sum to 90, not 100 "
        "(example: TARGET_WEIGHTS=BTC=40,ETH=30,SOL=20,ADA=10)"
    )


def test_a_refusal_from_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAX_ORDERS", "1.5")

    assert refusal().startswith("MAX_ORDERS: '1.5' is not a whole number")


def test_several_problems_give_one_line_each() -> None:
    lines = refusal(trading_mode="demo", min_trade_value="-1", max_orders="x").splitlines()

    assert [line.split(":")[0] for line in lines] == [
        "TRADING_MODE",
        "MIN_TRADE_VALUE",
        "MAX_ORDERS",
    ]


def test_live_mode_names_the_missing_kraken_secret() -> None:
    message = refusal(trading_mode="live", kraken_api_key=KEY)

    assert "KRAKEN_API_SECRET is not set" in message
    assert KEY not in message


def test_the_config_error_does_not_chain_the_pydantic_error() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(_env_file=None, kraken_api_secret="not base64 " + SECRET)

    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# --- secrets --------------------------------------------------------------------------


def test_secrets_never_appear_in_repr_str_or_dump() -> None:
    settings = load_settings(
        _env_file=None, kraken_api_key=KEY, kraken_api_secret=SECRET, telegram_bot_token=TOKEN
    )

    shown = [repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json()]

    for text in shown:
        assert KEY not in text
        assert SECRET not in text
        assert TOKEN not in text


@pytest.mark.parametrize(
    ("variable", "malformed"),
    [
        ("kraken_api_key", f"{KEY} with spaces"),
        ("kraken_api_secret", f"{SECRET}!!not-base64"),
        ("telegram_bot_token", f"not a token {TOKEN}"),
    ],
)
def test_a_malformed_secret_is_refused_without_showing_it(variable: str, malformed: str) -> None:
    message = refusal(**{variable: malformed, "max_orders": "-1"})

    assert any(line.startswith(f"{variable.upper()}: ") for line in message.splitlines())
    assert malformed not in message
    for secret in (KEY, SECRET, TOKEN):
        assert secret not in message


def test_a_malformed_secret_from_a_dotenv_file_is_not_shown(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"KRAKEN_API_SECRET=%%{SECRET}%%\nTRADING_MODE=live\n")

    with pytest.raises(ConfigError) as caught:
        load_settings()

    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)


# --- .env.example ---------------------------------------------------------------------

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_env_example_documents_every_variable() -> None:
    lines = ENV_EXAMPLE.read_text().splitlines()
    documented = {line.split("=")[0] for line in lines if line and not line.startswith("#")}

    assert {name.upper() for name in Settings.model_fields} <= documented


def test_env_example_loads_as_the_defaults() -> None:
    from_example = load_settings(_env_file=ENV_EXAMPLE)

    assert from_example == load_settings(_env_file=None)


def test_a_database_password_is_treated_as_a_secret_for_the_logs() -> None:
    settings = Settings(_env_file=None, database_url="postgresql://bot:hunter2@db/rebalance")
    assert "hunter2" in settings.secret_values()


def test_a_percent_encoded_database_password_is_a_secret_in_both_forms() -> None:
    settings = Settings(_env_file=None, database_url="postgresql://bot:p%40ss%2Fw@db/rebalance")
    assert {"p%40ss%2Fw", "p@ss/w"} <= set(settings.secret_values())


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://bot.example.com/telegram", "not an https URL"),
        ("https://bot.example.com", "needs a plain path"),
        ("https://bot.example.com/", "needs a plain path"),
        ("https://bot.example.com/tele gram", "needs a plain path"),
        ("https://bot.example.com/x?y=1", "needs a plain path"),
        ("https://bot.example.com:99999/x", "port that is not 1-65535"),
    ],
)
def test_a_webhook_url_is_https_with_a_plain_path(url: str, words: str) -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_URL") as caught:
        load_settings(
            _env_file=None,
            telegram_webhook_url=url,
            telegram_webhook_secret="s" * 32,
        )
    assert words in str(caught.value)


def test_a_webhook_url_with_a_path_is_served_on_that_path() -> None:
    settings = load_settings(
        _env_file=None,
        telegram_webhook_url="https://bot.example.com/hooks/rebalance",
        telegram_webhook_secret="s" * 32,
    )
    assert settings.webhook_path == "/hooks/rebalance"
