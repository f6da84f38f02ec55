"""Command arguments and button data into values. Pure: text in, value out.

Every refusal is an `ArgumentError` whose message says what is wrong and shows a right call,
so a handler can reply with it as is (escaped). Nothing else ever escapes these functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, NoReturn

from core.config import parse_weight_spec
from core.errors import InputError

SYMBOL: Final = re.compile(r"[A-Z0-9]{1,10}")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")
HISTORY_DEFAULT: Final = 10
HISTORY_MAX: Final = 50
ALL: Final = "all"
EXAMPLE_TARGETS: Final = "/targets BTC=40,ETH=30,SOL=20,ADA=10"
_ECHO_MAX: Final = 24
_SWITCH: Final = {"on": True, "off": False}


class ArgumentError(InputError):
    """A command's arguments are wrong: the message says what, with an example of a right call."""


class Action(StrEnum):
    """What an inline button asks for; the first letter of its callback data."""

    CONFIRM = "c"
    CANCEL = "x"


@dataclass(frozen=True)
class ButtonPress:
    action: Action
    plan_id: str


@dataclass(frozen=True)
class LockArgs:
    symbol: str
    reason: str | None


def _fail(problem: str, example: str) -> NoReturn:
    raise ArgumentError(f"{problem}\nExample: {example}")


def echo(text: str, limit: int = _ECHO_MAX) -> str:
    """The user's text on one line, shortened for quoting back in a reply."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _symbol(text: str, example: str) -> str:
    symbol = text.strip().upper()
    if not SYMBOL.fullmatch(symbol):
        _fail(f"'{echo(text)}' is not an asset symbol (1-10 letters or digits).", example)
    return symbol


def lock_args(args: Sequence[str]) -> LockArgs:
    """`/lock SYMBOL [reason…]`."""
    example = "/lock BTC (or /lock BTC staking until June)"
    if not args:
        _fail("Which asset should I lock?", example)
    reason = " ".join(args[1:]).strip()
    return LockArgs(_symbol(args[0], example), reason[:200] or None)


def unlock_target(args: Sequence[str]) -> str:
    """`/unlock SYMBOL` or `/unlock all`; returns the symbol or `ALL`."""
    example = "/unlock BTC (or /unlock all)"
    if len(args) != 1:
        _fail("Give one asset symbol, or 'all'.", example)
    if args[0].strip().lower() == ALL:
        return ALL
    return _symbol(args[0], example)


def targets_spec(args: Sequence[str]) -> dict[str, Decimal] | None:
    """`/targets` (None: show them) or `/targets BTC=40,ETH=60` (weights summing to 100)."""
    if not args:
        return None
    text = ",".join(args)
    try:
        return parse_weight_spec(text)
    except InputError as e:
        _fail(f"Those targets don't work: {echo(str(e), 120)}.", EXAMPLE_TARGETS)
    except ArithmeticError:  # a number too large for Decimal's context
        _fail("Those targets don't work: a number is out of range.", EXAMPLE_TARGETS)


def spec_text(weights: dict[str, Decimal]) -> str:
    """The canonical `BTC=40,ETH=60` text of parsed weights, for the facade."""
    return ",".join(f"{symbol}={weight:f}" for symbol, weight in weights.items())


def history_count(args: Sequence[str]) -> int:
    """`/history [N]`: how many past rebalances to show (1-50, default 10)."""
    example = f"/history 5 (1 to {HISTORY_MAX}; {HISTORY_DEFAULT} without a number)"
    if not args:
        return HISTORY_DEFAULT
    text = args[0].strip()
    if len(args) > 1 or not _INTEGER.fullmatch(text):
        _fail(f"'{echo(' '.join(args))}' is not a whole number.", example)
    if len(text) > 7 or not 1 <= int(text) <= HISTORY_MAX:  # length first: int() of any size
        _fail(f"'{echo(text)}' is out of range (1 to {HISTORY_MAX}).", example)
    return int(text)


def rebalance_force(args: Sequence[str]) -> bool:
    """`/rebalance [force]`: force offers the trades even when no rebalance is due."""
    if not args:
        return False
    if len(args) > 1 or args[0].strip().lower() != "force":
        _fail(
            f"'{echo(' '.join(args))}' is not an option of /rebalance.",
            "/rebalance (or /rebalance force to trade although nothing is due)",
        )
    return True


def alerts_switch(args: Sequence[str]) -> bool | None:
    """`/alerts on|off`; None for a bare `/alerts` (show the current setting)."""
    if not args:
        return None
    word = args[0].strip().lower()
    if len(args) > 1 or word not in _SWITCH:
        _fail(f"'{echo(' '.join(args))}' is neither on nor off.", "/alerts on (or /alerts off)")
    return _SWITCH[word]


def button_data(action: Action, plan_id: str) -> str:
    """Callback data for a button: `c:<plan_id>`; Telegram allows at most 64 bytes."""
    data = f"{action.value}:{plan_id}"
    if len(data.encode()) > 64:
        raise ValueError(f"plan id too long for a button ({len(plan_id)} characters)")
    return data


def button_press(data: str | None) -> ButtonPress | None:
    """The action and plan id a button carries; None for data this bot never made."""
    action, sep, plan_id = (data or "").partition(":")
    if not sep or not plan_id or action not in {a.value for a in Action}:
        return None
    return ButtonPress(Action(action), plan_id)
