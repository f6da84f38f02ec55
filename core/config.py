"""Settings read from the environment and a `.env` file, built only by `load_settings()`.

Every refusal becomes one line of a `ConfigError`: the variable, what is wrong and an
example of a right value. Secret values never appear in that text.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Literal, Self
from urllib.parse import unquote, urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.domain.models import RebalanceTo
from core.domain.strategy import parse_rebalance_to
from core.errors import ConfigError
from core.specs import WeightSpecError, parse_amount_spec, parse_weight_spec

__all__ = ["Settings", "WeightSpecError", "load_settings", "parse_weight_spec"]

_SYMBOL = re.compile(r"[A-Z0-9]{1,10}")
_QUOTE = re.compile(r"[A-Z0-9]{2,10}")
_BOT_TOKEN = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
_NO_SPACE = re.compile(r"\S+")
_USER_ID = re.compile(r"[0-9]{1,20}")
_HUNDRED = Decimal(100)
_DEFAULT_WEIGHTS = "BTC=40,ETH=30,SOL=20,ADA=10"
_DEFAULT_BALANCES = "BTC=0.5,ETH=2,SOL=20,ADA=1000"
_SUM_TOLERANCE = Decimal("0.01")

# An example of a right value for each variable whose default is not a good one to show.
_EXAMPLES: Mapping[str, str] = {
    "trading_mode": "paper (or live, with KRAKEN_API_KEY and KRAKEN_API_SECRET set)",
    "kraken_api_key": "<the API key shown by Kraken>",
    "kraken_api_secret": "<the base64 private key shown by Kraken>",
    "max_orders": "4 (or empty for no limit)",
    "paper_balances": "BTC=0.5,ETH=2,EUR=500",
    "telegram_bot_token": "<the token from @BotFather, like 123456:ABC-DEF>",
    "telegram_allowed_users": "123456789,987654321",
    "target_weights": _DEFAULT_WEIGHTS,
    "rebalance_to": "band-edge (or target, halfway, 50%)",
    "drift_band_relative_pct": "25 (with DRIFT_BAND_PCT=5: the 5/25 rule)",
    "autopilot": "propose (or off, or auto with AUTOPILOT_MAX_TRADE_VALUE set)",
    "autopilot_max_trade_value": "500",
}
SECRET_FIELDS = frozenset({"kraken_api_key", "kraken_api_secret", "telegram_bot_token"})


class _FieldProblem(ValueError):
    """A cross-field refusal that belongs to one variable (raised in a model validator)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _parse_user_ids(value: object) -> tuple[int, ...]:
    """'123, 456' -> (123, 456); duplicates are dropped, order kept."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise ValueError("expected numeric Telegram user ids separated by commas")
    ids: dict[int, None] = {}
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not _USER_ID.fullmatch(text):
            raise ValueError(f"'{text}' is not a numeric Telegram user id")
        ids[int(text)] = None
    return tuple(ids)


def _rebalance_to(value: object) -> object:
    """REBALANCE_TO text -> RebalanceTo; anything else is left for pydantic to refuse."""
    return parse_rebalance_to(value) if isinstance(value, str) else value


def _check_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"'{value}' is not an http(s) URL")
    return value.strip().rstrip("/")


_Weights = Annotated[Mapping[str, Decimal], NoDecode, BeforeValidator(parse_weight_spec)]
_Amounts = Annotated[Mapping[str, Decimal], NoDecode, BeforeValidator(parse_amount_spec)]
_UserIds = Annotated[tuple[int, ...], NoDecode, BeforeValidator(_parse_user_ids)]
_Url = Annotated[str, AfterValidator(_check_url)]
_RebalanceTo = Annotated[RebalanceTo, NoDecode, BeforeValidator(_rebalance_to)]


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except ValueError:  # binascii.Error is a ValueError
        return False
    return True


_SECRET_CHECKS: Mapping[str, tuple[Callable[[str], object], str]] = {
    "kraken_api_key": (_NO_SPACE.fullmatch, "contains spaces; copy Kraken's API key exactly"),
    "kraken_api_secret": (_is_base64, "is not base64; copy Kraken's private key exactly"),
    "telegram_bot_token": (_BOT_TOKEN.fullmatch, "is not a bot token like 123456:ABC-DEF"),
}


class Settings(BaseSettings):
    """Every knob of the bot; see `.env.example` for meanings. Build with `load_settings()`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
    )

    trading_mode: Literal["paper", "live"] = "paper"
    kraken_api_key: SecretStr | None = None
    kraken_api_secret: SecretStr | None = None
    kraken_api_url: _Url = "https://api.kraken.com"
    kraken_tier: Literal["starter", "intermediate", "pro"] = "starter"
    quote_currency: str = "EUR"
    target_weights: _Weights = Field(default_factory=lambda: parse_weight_spec(_DEFAULT_WEIGHTS))
    min_trade_value: Decimal = Field(default=Decimal(10), ge=0)
    drift_band_pct: Decimal = Field(default=Decimal(5), gt=0, lt=100)
    drift_band_relative_pct: Decimal | None = Field(default=None, gt=0, le=100)
    rebalance_to: _RebalanceTo = RebalanceTo()
    max_orders: int | None = Field(default=None, gt=0)
    paper_balances: _Amounts = Field(default_factory=lambda: parse_amount_spec(_DEFAULT_BALANCES))
    database_url: str = "sqlite:///./data/rebalance.db"
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    confirm_ttl_seconds: int = Field(default=120, gt=0)
    rebalance_cooldown_minutes: int = Field(default=60, ge=0)
    price_drift_tolerance_pct: Decimal = Field(default=Decimal(1), gt=0)
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: _Url = "https://api.telegram.org"
    telegram_allowed_users: _UserIds = ()
    alert_interval_minutes: int = Field(default=60, gt=0)
    paper_market_data: Literal["auto", "snapshot"] = "auto"
    lease_stale_seconds: int = Field(default=300, gt=0)
    # Autopilot: propose or execute due rebalances on the scheduled check, behind caps.
    autopilot: Literal["off", "propose", "auto"] = "off"
    autopilot_max_trade_value: Decimal | None = Field(default=None, gt=0)
    autopilot_max_runs_per_day: int = Field(default=4, gt=0)

    @field_validator("trading_mode", "kraken_tier", "log_format", "autopilot", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", "quote_currency", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("quote_currency")
    @classmethod
    def _check_quote(cls, value: str) -> str:
        if not _QUOTE.fullmatch(value):
            raise ValueError(f"'{value}' is not a currency code (2-10 letters or digits)")
        return value

    @field_validator(
        *SECRET_FIELDS,
        "max_orders",
        "drift_band_relative_pct",
        "autopilot_max_trade_value",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator(*SECRET_FIELDS)
    @classmethod
    def _check_secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        looks_right, problem = _SECRET_CHECKS[str(info.field_name)]
        if value is not None and not looks_right(value.get_secret_value()):
            raise ValueError(problem)
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if "://" not in value:
            raise ValueError(f"'{value}' is not a database URL")
        return value.strip()

    @model_validator(mode="after")
    def _live_needs_keys(self) -> Self:
        missing = [
            name.upper()
            for name in ("kraken_api_key", "kraken_api_secret")
            if getattr(self, name) is None
        ]
        if self.trading_mode == "live" and missing:
            unset = "neither is set" if len(missing) == 2 else f"{missing[0]} is not set"
            raise _FieldProblem(
                "trading_mode",
                f"live trading needs KRAKEN_API_KEY and KRAKEN_API_SECRET, but {unset}",
            )
        return self

    @model_validator(mode="after")
    def _auto_needs_a_cap(self) -> Self:
        if self.autopilot == "auto" and self.autopilot_max_trade_value is None:
            raise _FieldProblem(
                "autopilot_max_trade_value",
                "is required when AUTOPILOT=auto: the most one automatic rebalance may trade, "
                f"in {self.quote_currency}",
            )
        return self

    def secret_values(self) -> tuple[str, ...]:
        """The secret strings that are set, to hand to `configure_logging(secrets=...)`."""
        secrets = (self.kraken_api_key, self.kraken_api_secret, self.telegram_bot_token)
        found = [s.get_secret_value() for s in secrets if s is not None]
        password = urlsplit(self.database_url).password  # postgresql://user:PASSWORD@host/db
        return tuple(found + ([password, unquote(password)] if password else []))


_TEMPLATES: Mapping[str, str] = {
    "int_parsing": "{input!r} is not a whole number",
    "int_from_float": "{input!r} is not a whole number",
    "int_type": "{input!r} is not a whole number",
    "decimal_parsing": "{input!r} is not a number",
    "decimal_type": "{input!r} is not a number",
    "finite_number": "{input!r} is not a finite number",
    "greater_than": "must be greater than {gt}, got {input}",
    "greater_than_equal": "must be at least {ge}, got {input}",
    "less_than": "must be less than {lt}, got {input}",
    "less_than_equal": "must be at most {le}, got {input}",
    "literal_error": "must be {expected}, got {input!r}",
}


def _problem(error: ErrorDetails, field: str) -> str:
    """What is wrong, in words; the input is only quoted for non-secret fields."""
    ctx = error.get("ctx", {})
    cause = ctx.get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    template = _TEMPLATES.get(error["type"])
    if template is None or field in SECRET_FIELDS:
        return error["msg"]
    return template.format(input=error.get("input"), **ctx)


def _describe(error: ErrorDetails) -> str:
    cause = error.get("ctx", {}).get("error")
    loc = error["loc"]
    field = cause.field if isinstance(cause, _FieldProblem) else str(loc[0]) if loc else ""
    if field not in Settings.model_fields:
        return f"settings: {_problem(error, field)}"
    example = _EXAMPLES.get(field) or Settings.model_fields[field].default
    name = field.upper()
    return f"{name}: {_problem(error, field)} (example: {name}={example})"


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the variable; never a pydantic dump or a secret."""
    return "\n".join(dict.fromkeys(_describe(error) for error in exc.errors()))


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and `.env` (in that precedence)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
