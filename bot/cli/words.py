"""Core errors in the terminal's own words: the `rebalance-bot ...` command to run next."""

from __future__ import annotations

from typing import Final

from core.errors import FRESH_PLAN, ExecutionRefused, InputError, RebalanceError

NEXT_STEPS: Final = {FRESH_PLAN: "Run `rebalance-bot rebalance` again for a fresh plan."}
EXAMPLES: Final = {
    "bad_symbol": "Example: rebalance-bot lock BTC",
    "not_tradable": "Example: rebalance-bot lock BTC",
    "targets_not_tradable": "Example: rebalance-bot targets BTC=40,ETH=30,SOL=20,ADA=10",
    "bad_weights": "Example: rebalance-bot targets BTC=40,ETH=30,SOL=20,ADA=10",
    "bad_price": "Example: rebalance-bot basis BTC 30000",
    "no_opening_lot": "See `rebalance-bot positions` for what each holding cost.",
}


# A code whose example depends on the command it came from: (command, code) -> example.
COMMAND_EXAMPLES: Final = {
    ("basis", "bad_symbol"): "Example: rebalance-bot basis BTC 30000",
    ("basis", "not_tradable"): "Example: rebalance-bot basis BTC 30000",
    ("basis", "quote_is_cash"): "Example: rebalance-bot basis BTC 30000",
}


def describe(error: RebalanceError, command: str = "") -> str:
    """The error's message, then what to type next when the core's code says it."""
    hint = ""
    if isinstance(error, ExecutionRefused):
        hint = NEXT_STEPS.get(error.next_step, "")
    elif isinstance(error, InputError):
        hint = COMMAND_EXAMPLES.get((command, error.code)) or EXAMPLES.get(error.code, "")
    text = str(error)
    if not hint:
        return text
    return f"{text} {hint}" if text.endswith((".", "!", "?", ")")) else f"{text}. {hint}"
