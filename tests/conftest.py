"""Fixtures shared by every test folder."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from core.logs import NOISY_LOGGERS


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that configure logging (directly or through `main`): put the process back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, noisy_level in noisy.items():
        logging.getLogger(name).setLevel(noisy_level)
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
