"""Small helpers shared by the fake Kraken modules: Decimal formatting, ids, errors."""

from __future__ import annotations

import random
import string
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

JsonDict = dict[str, Any]

_ID_ALPHABET = string.ascii_uppercase + string.digits


class KrakenError(Exception):
    """An error Kraken reports inside the envelope, e.g. ``EOrder:Insufficient funds``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def quantum(places: int) -> Decimal:
    """``Decimal('1e-places')``."""
    return Decimal(1).scaleb(-places)


def fmt(value: Decimal, places: int) -> str:
    """Fixed-point string with exactly ``places`` decimals, the way Kraken prints amounts."""
    return f"{value.quantize(quantum(places), rounding=ROUND_HALF_UP):f}"


def round_half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(quantum(places), rounding=ROUND_HALF_UP)


def round_down(value: Decimal, places: int) -> Decimal:
    return value.quantize(quantum(places), rounding=ROUND_DOWN)


def decimal_places(value: Decimal) -> int:
    """Significant decimals of ``value`` (trailing zeros do not count)."""
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def parse_decimal(raw: object) -> Decimal | None:
    """A finite Decimal from a wire value, or None if it is not a plain number."""
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def is_true(raw: object) -> bool:
    """Kraken's boolean form fields: ``true`` (ccxt sends ``True``), ``1``."""
    return str(raw).strip().lower() in {"true", "1", "yes"}


def kraken_id(prefix: str, rng: random.Random) -> str:
    """An id shaped like Kraken's: ``OMHP5J-W3RDC-C7LHOO`` (orders) / ``T…`` (trades)."""

    def part(length: int) -> str:
        return "".join(rng.choice(_ID_ALPHABET) for _ in range(length))

    return f"{prefix}{part(5)}-{part(5)}-{part(6)}"
