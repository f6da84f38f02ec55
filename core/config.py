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
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.config_words import (
    API_TOKEN_FIELDS,
    DEFAULT_WEIGHTS,
    SECRET_FIELDS,
    FieldProblem,
    describe_validation_error,
)
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
_DEFAULT_BALANCES = "BTC=0.5,ETH=2,SOL=20,ADA=1000"
_SUM_TOLERANCE = Decimal("0.01")

_WEBHOOK_PATH = re.compile(r"(/[A-Za-z0-9_.-]+)+/?")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")
API_TOKEN_MIN_LENGTH = 24


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


def _is_api_token(text: str) -> bool:
    return len(text) >= API_TOKEN_MIN_LENGTH and _NO_SPACE.fullmatch(text) is not None


_SECRET_CHECKS: Mapping[str, tuple[Callable[[str], object], str]] = {
    "kraken_api_key": (_NO_SPACE.fullmatch, "contains spaces; copy Kraken's API key exactly"),
    "kraken_api_secret": (_is_base64, "is not base64; copy Kraken's private key exactly"),
    "telegram_bot_token": (_BOT_TOKEN.fullmatch, "is not a bot token like 123456:ABC-DEF"),
    "telegram_webhook_secret": (
        _WEBHOOK_SECRET.fullmatch,
        "must be 16-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token)",
    ),
    **{
        name: (_is_api_token, f"must be at least {API_TOKEN_MIN_LENGTH} characters, no spaces")
        for name in API_TOKEN_FIELDS
    },
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
    target_weights: _Weights = Field(default_factory=lambda: parse_weight_spec(DEFAULT_WEIGHTS))
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
    # --- HTTP API (bot/http): served when at least one token is set -------------------
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port
    api_token_read: SecretStr | None = None
    api_token_trade: SecretStr | None = None
    # --- Telegram webhook mode (served on the API's host and port) -------------------
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Autopilot: propose or execute due rebalances on the scheduled check, behind caps.
    autopilot: Literal["off", "propose", "auto"] = "off"
    autopilot_max_trade_value: Decimal | None = Field(default=None, gt=0)
    autopilot_max_runs_per_day: int = Field(default=4, gt=0)

    # Maker-first execution (see README "Maker-first execution")
    order_type: Literal["market", "maker-first"] = "market"
    maker_timeout_seconds: int = Field(default=60, gt=0)
    max_slippage_pct: Decimal = Field(default=Decimal("0.5"), gt=0, lt=100)

    @field_validator(
        "trading_mode", "kraken_tier", "log_format", "autopilot", "order_type", mode="before"
    )
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
            raise FieldProblem(
                "trading_mode",
                f"live trading needs KRAKEN_API_KEY and KRAKEN_API_SECRET, but {unset}",
            )
        return self

    @property
    def api_enabled(self) -> bool:
        """The HTTP API is served when at least one of its tokens is set."""
        return self.api_token_read is not None or self.api_token_trade is not None

    @field_validator("telegram_webhook_url", mode="before")
    @classmethod
    def _check_webhook_url(cls, value: object) -> object:
        if not isinstance(value, str) or not value.strip():
            return None
        text = value.strip()
        parts = urlsplit(text)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"'{value}' is not an https URL (Telegram posts only to https)")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked
        except ValueError:
            raise ValueError(f"'{value}' has a port that is not 1-65535") from None
        if not _WEBHOOK_PATH.fullmatch(parts.path) or parts.query or parts.fragment:
            raise ValueError(
                f"'{value}' needs a plain path, the route the bot serves updates on "
                "(letters, digits, / _ . -; no query), e.g. https://bot.example.com/telegram"
            )
        return text

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Self:
        if self.telegram_webhook_url is not None and self.telegram_webhook_secret is None:
            raise FieldProblem(
                "telegram_webhook_secret",
                "is required with TELEGRAM_WEBHOOK_URL (Telegram sends it with every update)",
            )
        return self

    @property
    def webhook_path(self) -> str | None:
        """The path the webhook's updates arrive on (TELEGRAM_WEBHOOK_URL's, or /telegram)."""
        if self.telegram_webhook_url is None:
            return None
        return urlsplit(self.telegram_webhook_url).path.rstrip("/") or "/telegram"

    @model_validator(mode="after")
    def _distinct_api_tokens(self) -> Self:
        read, trade = self.api_token_read, self.api_token_trade
        if read is not None and trade is not None and read == trade:
            raise FieldProblem(
                "api_token_read", "must differ from API_TOKEN_TRADE (a read token cannot trade)"
            )
        return self

    @model_validator(mode="after")
    def _auto_needs_a_cap(self) -> Self:
        if self.autopilot == "auto" and self.autopilot_max_trade_value is None:
            raise FieldProblem(
                "autopilot_max_trade_value",
                "is required when AUTOPILOT=auto: the most one automatic rebalance may trade, "
                f"in {self.quote_currency}",
            )
        return self

    def secret_values(self) -> tuple[str, ...]:
        """The secret strings that are set, to hand to `configure_logging(secrets=...)`."""
        secrets = (
            self.kraken_api_key,
            self.kraken_api_secret,
            self.telegram_bot_token,
            self.api_token_read,
            self.api_token_trade,
            self.telegram_webhook_secret,
        )
        found = [s.get_secret_value() for s in secrets if s is not None]
        password = urlsplit(self.database_url).password  # postgresql://user:PASSWORD@host/db
        return tuple(found + ([password, unquote(password)] if password else []))


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and `.env` (in that precedence)."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc, Settings.model_fields)) from None
