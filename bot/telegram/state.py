"""What every handler shares: the facade it calls, the bot's settings, in-process claims.

`BotData` is the `context.bot_data` type (PTB `ContextTypes(bot_data=BotData)`), so handlers
get typed access instead of string keys. `Facade` is `core.app.api.Api`, the contract every
front end types against; tests pass a hand-written fake of the same shape.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeAlias

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from core.app.api import Api

Facade = Api  # the contract every front end types against (core.app.api)


FacadeOpener = Callable[[], AbstractAsyncContextManager[Facade]]
# Served beside the bot in its event loop (the HTTP API, bot/http, and the webhook route).
SideServer = Callable[["BotApp"], AbstractAsyncContextManager[object]]


@dataclass(frozen=True)
class Webhook:
    """Webhook mode (TELEGRAM_WEBHOOK_URL): where Telegram posts, and the secret it sends."""

    url: str
    path: str  # where the updates arrive on the HTTP server
    secret: str = field(repr=False)


@dataclass(frozen=True)
class BotConfig:
    """The bot's own settings, taken from `core.config.Settings` once at build time."""

    allowed_users: frozenset[int]
    mode: str
    alert_interval_s: float
    alert_first_s: float
    drift_band_pct: Decimal
    autopilot: str = "off"  # AUTOPILOT: off, propose, auto


class BotData:
    """`context.bot_data`: opened in `post_init`, closed in `post_shutdown` (bot.telegram.app)."""

    def __init__(self) -> None:
        self.stack = AsyncExitStack()
        self.opener: FacadeOpener | None = None
        self.claims: set[str] = set()  # plan ids a button press is handling or has handled
        self.menu: tuple[tuple[str, str], ...] = ()  # (command, description) for /help
        self.side_server: SideServer | None = None  # the HTTP API when API tokens are set
        self.served: object | None = None  # what `side_server` opened (an ApiServer)
        self.webhook: Webhook | None = None  # None: long polling
        self.on_taken_over: Callable[[], None] = lambda: None  # another bot has the database
        self._config: BotConfig | None = None
        self._facade: Facade | None = None
        self._charts: Executor | None = None

    @property
    def config(self) -> BotConfig:
        if self._config is None:
            raise RuntimeError("the bot's settings are not set: build it with build_application")
        return self._config

    @config.setter
    def config(self, value: BotConfig) -> None:
        self._config = value

    @property
    def facade(self) -> Facade:
        if self._facade is None:
            raise RuntimeError("the facade is not open: post_init has not run")
        return self._facade

    @facade.setter
    def facade(self, value: Facade | None) -> None:
        self._facade = value

    @property
    def charts(self) -> Executor:
        """A one-thread executor: matplotlib renders off the event loop, one at a time."""
        if self._charts is None:
            raise RuntimeError("the chart executor is not open: post_init has not run")
        return self._charts

    @charts.setter
    def charts(self, value: Executor | None) -> None:
        self._charts = value


Context: TypeAlias = CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]
BotApp: TypeAlias = Application[
    ExtBot[Any], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]
]
