"""`SYMBOL=NUMBER,...` specs: target weights and paper balances. Pure parsing.

Used for TARGET_WEIGHTS / PAPER_BALANCES at start and for `/targets BTC=50,ETH=50` typed
by users; every refusal is a `WeightSpecError` (an InputError) with a message in the
user's terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from core.errors import InputError

_SYMBOL = re.compile(r"[A-Z0-9]{1,10}")
_HUNDRED = Decimal(100)
_SUM_TOLERANCE = Decimal("0.01")


class WeightSpecError(InputError, ValueError):
    """A `SYMBOL=NUMBER,...` spec is malformed; the message says what, in the user's terms.

    Raised by `parse_weight_spec` and `parse_amount_spec`; front ends show the message and
    add an example in their own syntax (code `bad_weights`).
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, code="bad_weights")


def _number(text: str) -> str:
    """Render a Decimal-ish text without exponent or trailing zeros: '90.50' -> '90.5'."""
    return format(Decimal(text).normalize(), "f")


def _parse_pair(symbol: str, raw: str, noun: str) -> Decimal:
    """Check one symbol and its number; `raw` is the text after '='."""
    if not _SYMBOL.fullmatch(symbol):
        raise WeightSpecError(f"'{symbol}' is not a symbol (1-10 letters or digits, like BTC)")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise WeightSpecError(f"'{symbol}={raw}': {raw or 'nothing'} is not a number")
    if value < 0:
        raise WeightSpecError(f"{symbol} {noun} is negative ({_number(raw)})")
    return value


def _parse_pairs(pairs: Iterable[tuple[str, str]], noun: str) -> dict[str, Decimal]:
    """Validate (symbol, number) text pairs into an ordered mapping; symbols are upper-cased."""
    result: dict[str, Decimal] = {}
    for raw_symbol, raw_value in pairs:
        symbol = raw_symbol.strip().upper()
        value = _parse_pair(symbol, raw_value.strip(), noun)
        if symbol in result:
            raise WeightSpecError(f"{symbol} appears twice")
        result[symbol] = value
    return result


def _split_spec(text: str) -> list[tuple[str, str]]:
    """Split 'BTC=40, ETH=60' into [('BTC', '40'), ('ETH', '60')]; empty items are skipped."""
    pairs = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        symbol, sep, value = item.partition("=")
        if not sep:
            raise WeightSpecError(f"'{item}' is not SYMBOL=NUMBER")
        pairs.append((symbol, value))
    return pairs


def _check_weights(weights: dict[str, Decimal]) -> dict[str, Decimal]:
    if not weights:
        raise WeightSpecError("no weights given")
    total = sum(weights.values(), Decimal(0))
    if abs(total - _HUNDRED) > _SUM_TOLERANCE:
        raise WeightSpecError(f"weights sum to {_number(str(total))}, not 100")
    return weights


def _as_pairs(spec: object) -> list[tuple[str, str]]:
    """Accept the spec as text (from the environment) or as a mapping (built in code)."""
    if isinstance(spec, str):
        return _split_spec(spec)
    if isinstance(spec, Mapping):
        return [(str(k), str(v)) for k, v in spec.items()]
    raise WeightSpecError("expected SYMBOL=NUMBER pairs separated by commas")


def parse_weight_spec(spec: str | Mapping[str, object]) -> dict[str, Decimal]:
    """Parse target weights in percent, 'BTC=40,ETH=60', summing to 100 (within 0.01)."""
    return _check_weights(_parse_pairs(_as_pairs(spec), "weight"))


def parse_amount_spec(spec: str | Mapping[str, object]) -> dict[str, Decimal]:
    """Parse non-negative amounts per symbol, 'BTC=0.5,EUR=100'; may be empty."""
    return _parse_pairs(_as_pairs(spec), "balance")
