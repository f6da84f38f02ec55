"""Errors into words a phone user can act on. The one place the bot explains a failure.

Follows the error tree in `core.errors`: what happened, then what to do. Plain text (the
caller escapes). Never includes secrets: core messages don't carry them.
"""

from __future__ import annotations

from typing import Final

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from core.errors import (
    FRESH_PLAN,
    AuthenticationError,
    ConfigError,
    ExchangeError,
    ExecutionRefused,
    InputError,
    InsufficientFunds,
    MarketNotTradable,
    OrderOutcomeUnknown,
    OrderRejected,
    PortfolioError,
    RateLimited,
    RebalanceError,
    StorageError,
    TemporaryError,
    UnknownPair,
)

UNEXPECTED = "Something went wrong on my side and it has been logged. Please try again."
KRAKEN_DOWN = "Kraken is unavailable right now; try again in a minute."
# Kraken's commonest reasons for refusing an order, in words (matched inside the raw text).
ORDER_REASONS: Final = (
    ("EOrder:Insufficient funds", "not enough funds"),
    ("EOrder:Order minimum not met", "below Kraken's minimum order size"),
    ("EOrder:Cost minimum not met", "below Kraken's minimum order value"),
    ("EAPI:Rate limit exceeded", "Kraken's rate limit"),
)
# What to do next, in this front end's commands: by a refusal's `next_step`, an input's `code`.
NEXT_STEPS: Final = {FRESH_PLAN: "Take a fresh plan with /rebalance."}
EXAMPLES: Final = {
    "bad_symbol": "Example: /lock BTC",
    "not_tradable": "Example: /lock BTC",
    "targets_not_tradable": "Example: /targets BTC=40,ETH=30,SOL=20,ADA=10",
    "bad_weights": "Example: /targets BTC=40,ETH=30,SOL=20,ADA=10",
    "bad_price": "Example: /basis BTC 30000",
    "no_opening_lot": "See /positions for what each holding cost.",
}
# A code whose example depends on the command it came from: (command, code) -> example.
COMMAND_EXAMPLES: Final = {
    ("basis", code): "Example: /basis BTC 30000"
    for code in ("bad_symbol", "not_tradable", "quote_is_cash")
}


def refused(error: ExecutionRefused) -> str:
    """Why a plan was not executed, then what to do about it with this bot's commands."""
    return _then(str(error), NEXT_STEPS.get(error.next_step, ""))


def bad_input(error: InputError, command: str = "") -> str:
    """What was wrong with the input, then an example of a right command (when there is one)."""
    hint = COMMAND_EXAMPLES.get((command, error.code)) or EXAMPLES.get(error.code, "")
    return _then(str(error), hint)


def _then(words: str, hint: str) -> str:
    if not hint:
        return words
    return f"{words} {hint}" if words.endswith((".", "!", "?", ")")) else f"{words}. {hint}"


def order_reason(reason: str) -> str | None:
    """Plain words for a known Kraken order refusal ('not enough funds'); None otherwise."""
    return next((words for code, words in ORDER_REASONS if code in reason), None)


def _exchange(error: ExchangeError) -> str:
    if isinstance(error, AuthenticationError):
        return (
            "Kraken rejected the API key: check KRAKEN_API_KEY and its permissions "
            "(and KRAKEN_API_SECRET, if the key itself is right)."
        )
    if isinstance(error, RateLimited):
        return "Kraken says we are sending too many requests; try again in a minute."
    if isinstance(error, TemporaryError):
        return KRAKEN_DOWN
    if isinstance(error, InsufficientFunds):
        return f"Kraken refused the order, not enough funds: {error.reason}."
    if isinstance(error, MarketNotTradable):
        return f"That market is not trading right now ({error.reason}); try again later."
    if isinstance(error, OrderRejected):
        return f"Kraken refused the order: {error.reason}."
    if isinstance(error, UnknownPair):
        return f"Kraken does not know that market: {error.reason}."
    if isinstance(error, OrderOutcomeUnknown):
        return (
            "An order was sent but Kraken's answer was lost. It will be looked up, never sent "
            "again: check /history before trying again."
        )
    return f"Kraken returned an error ({error.reason}); try again later."


def describe(error: BaseException, command: str = "") -> str:
    """What happened and what to do, for any error a handler can meet (`command`: the one
    that met it, without its slash, for examples that depend on it)."""
    if isinstance(error, ExecutionRefused):
        return refused(error)
    if isinstance(error, ExchangeError):
        return _exchange(error)
    if isinstance(error, StorageError):
        return "The database failed, so nothing was changed. Check the disk and the logs."
    if isinstance(error, InputError):
        return bad_input(error, command)
    if isinstance(error, PortfolioError | ConfigError | RebalanceError):
        return str(error)
    if isinstance(error, RetryAfter) or _is_network(error):
        return "Telegram did not answer in time; please try again."
    return UNEXPECTED


def _is_network(error: BaseException) -> bool:
    """A transport failure; BadRequest is a NetworkError in PTB but means a bug here."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def is_expected(error: BaseException) -> bool:
    """Errors that are part of normal life (logged without a traceback)."""
    return isinstance(error, RebalanceError | Forbidden | RetryAfter) or _is_network(error)


CONFLICT_NOTICE = (
    "⚠️ Another program is polling Telegram with this bot's token, so messages may go to it "
    "instead of me. I keep running and retry with a growing pause. Stop the other instance "
    "(or give it its own bot token from @BotFather)."
)
