"""End-to-end fixtures: the real Application over HTTP to fake Telegram (and fake Kraken).

Settings are built directly (`Settings(_env_file=None, ...)`); the database is a SQLite
file in `tmp_path`, so a second bot on the same settings sees what the first one stored.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.telegram.app import build_application
from bot.telegram.runner import running
from bot.telegram.state import BotApp
from core.bootstrap import open_rebalancer
from core.config import Settings
from tests.fakes.clocks import FakeClock
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken
from tests.fakes.telegram_server import FakeTelegram

CLI = str(Path(sys.executable).with_name("rebalance-bot"))
OWNER = 111
FRIEND = 222
STRANGER = 999
SettingsFactory = Callable[..., Settings]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def kraken() -> AsyncIterator[FakeKraken]:
    async with FakeKraken() as fake:
        yield fake


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite"


def _settings(db_path: Path, tg: FakeTelegram, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,
        "trading_mode": "paper",
        "paper_market_data": "snapshot",
        "database_url": f"sqlite:///{db_path}",
        "telegram_bot_token": tg.token,
        "telegram_api_url": tg.url,
        "telegram_allowed_users": f"{OWNER},{FRIEND}",
        "rebalance_cooldown_minutes": 0,
        "log_format": "console",
    }
    return Settings(**(values | changes))


@pytest.fixture
def paper_settings(db_path: Path, tg: FakeTelegram) -> SettingsFactory:
    """Paper mode on the bundled market snapshot: no network but the fake Telegram."""
    return lambda **changes: _settings(db_path, tg, **changes)


@pytest.fixture
def live_settings(db_path: Path, tg: FakeTelegram, kraken: FakeKraken) -> SettingsFactory:
    """Live mode against the fake Kraken."""
    live = {
        "trading_mode": "live",
        "kraken_api_url": kraken.url,
        "kraken_api_key": TEST_API_KEY,
        "kraken_api_secret": TEST_API_SECRET,
    }
    return lambda **changes: _settings(db_path, tg, **(live | changes))


@asynccontextmanager
async def bot_running(settings: Settings, clock: FakeClock | None = None) -> AsyncIterator[BotApp]:
    """The real bot, polling the fake Telegram (no scheduled check during a test); on `clock`
    when given (expiry and cooldowns move when the test moves it), else the wall clock."""
    opener = open_rebalancer if clock is None else partial(open_rebalancer, clock=clock)
    app = build_application(settings, open_facade=opener, alert_first_s=3600)
    async with running(app, poll_timeout_s=1):
        yield app


def cli_env(kraken: FakeKraken, db_url: str) -> dict[str, str]:
    """A `rebalance-bot` process's whole environment: live mode against the fake Kraken."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return keep | {
        "TRADING_MODE": "live",
        "KRAKEN_API_URL": kraken.url,
        "KRAKEN_API_KEY": TEST_API_KEY,
        "KRAKEN_API_SECRET": TEST_API_SECRET,
        "DATABASE_URL": db_url,
        "LOG_LEVEL": "WARNING",
        "LEASE_STALE_SECONDS": "1",
    }


def db_dump(path: Path) -> list[str]:
    """Every row of the database as SQL text, to compare before and after."""
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())
