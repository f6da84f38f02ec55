"""How a refused setting is told: one line naming the variable, what is wrong, and an example
of a right value; secret values are never quoted. Used by `core.config.load_settings`."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

DEFAULT_WEIGHTS = "BTC=40,ETH=30,SOL=20,ADA=10"
API_TOKEN_FIELDS = ("api_token_read", "api_token_trade")
SECRET_FIELDS = frozenset(
    {
        "kraken_api_key",
        "kraken_api_secret",
        "telegram_bot_token",
        "telegram_webhook_secret",
        *API_TOKEN_FIELDS,
    }
)


# An example of a right value for each variable whose default is not a good one to show.
_EXAMPLES: Mapping[str, str] = {
    "trading_mode": "paper (or live, with KRAKEN_API_KEY and KRAKEN_API_SECRET set)",
    "kraken_api_key": "<the API key shown by Kraken>",
    "kraken_api_secret": "<the base64 private key shown by Kraken>",
    "max_orders": "4 (or empty for no limit)",
    "paper_balances": "BTC=0.5,ETH=2,EUR=500",
    "telegram_bot_token": "<the token from @BotFather, like 123456:ABC-DEF>",
    "telegram_allowed_users": "123456789,987654321",
    "target_weights": DEFAULT_WEIGHTS,
    "rebalance_to": "band-edge (or target, halfway, 50%)",
    "drift_band_relative_pct": "25 (with DRIFT_BAND_PCT=5: the 5/25 rule)",
    "api_token_read": "<24 or more random characters, e.g. from: openssl rand -hex 24>",
    "api_token_trade": "<24 or more random characters, e.g. from: openssl rand -hex 24>",
    "api_host": "127.0.0.1",
    "telegram_webhook_url": "https://bot.example.com/telegram (behind your TLS proxy)",
    "telegram_webhook_secret": "<16-256 of A-Z a-z 0-9 _ -, e.g. from: openssl rand -hex 32>",
    "api_port": "8080",
    "autopilot": "propose (or off, or auto with AUTOPILOT_MAX_TRADE_VALUE set)",
    "autopilot_max_trade_value": "500",
    "order_type": "maker-first (or market)",
}


class FieldProblem(ValueError):
    """A cross-field refusal that belongs to one variable (raised in a model validator)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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


def _describe(error: ErrorDetails, fields: Mapping[str, FieldInfo]) -> str:
    cause = error.get("ctx", {}).get("error")
    loc = error["loc"]
    field = cause.field if isinstance(cause, FieldProblem) else str(loc[0]) if loc else ""
    if field not in fields:
        return f"settings: {_problem(error, field)}"
    example = _EXAMPLES.get(field) or fields[field].default
    name = field.upper()
    return f"{name}: {_problem(error, field)} (example: {name}={example})"


def describe_validation_error(exc: ValidationError, fields: Mapping[str, FieldInfo]) -> str:
    """One line per problem, each naming the variable; never a pydantic dump or a secret."""
    return "\n".join(dict.fromkeys(_describe(error, fields) for error in exc.errors()))
