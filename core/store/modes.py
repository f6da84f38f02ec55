"""The trading modes a row may record."""

from __future__ import annotations

from core.app.records import TRADING_MODES
from core.errors import StorageError


def checked_mode(mode: str) -> str:
    """`mode` if it is a trading mode; a StorageError otherwise (never stored misspelt)."""
    if mode not in TRADING_MODES:
        raise StorageError(f"the trading mode is one of {', '.join(TRADING_MODES)}, not {mode!r}")
    return mode
