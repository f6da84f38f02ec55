"""The Telegram bot: the one list of handlers, resources opened and closed, `run_bot`.

`rebalance-bot run` calls `run_bot(settings)`. Tests build the same Application with
`build_application(settings, ...)` and drive it with `bot.telegram.runner.running`.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, cast

from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.telegram import auth, autopilot, callbacks, failures, handlers, jobs, positions
from bot.telegram.runner import EXIT_CONFIG, serve
from bot.telegram.state import (
    BotApp,
    BotConfig,
    BotData,
    Context,
    Facade,
    SideServer,
    Webhook,
)
from bot.telegram.transport import RetryingSender
from core.app.instance import HEARTBEAT_SECONDS
from core.bootstrap import open_bot_rebalancer
from core.config import Settings
from core.logs import get_logger
from core.off_loop import off_loop
from telegram import BotCommand, LinkPreviewOptions, Update

log = get_logger(__name__)

HandlerCallback = Callable[[Update, Context], Any]
FacadeFactory = Callable[[Settings], AbstractAsyncContextManager[Facade]]
CONCURRENT_UPDATES = 8
ALERT_FIRST_S = 5.0  # the first scheduled check comes within 10 s of start
RECONCILE_EVERY_S = 60.0  # orders of unknown outcome are asked about again this often


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    callback: HandlerCallback


COMMANDS: tuple[Command, ...] = (
    Command("start", "what this bot does", handlers.start),
    Command("help", "the commands and the mode (paper or live)", handlers.start),
    Command("check", "current weights vs targets, with a chart", handlers.check),
    Command("preview", "the orders a rebalance would place now", handlers.preview),
    Command("rebalance", "plan a rebalance and confirm it", handlers.rebalance),
    Command("lock", "SYMBOL: never trade this asset", handlers.lock),
    Command("unlock", "SYMBOL or all: trade it again", handlers.unlock),
    Command("locked", "the locked assets", handlers.locked),
    Command("targets", "[BTC=40,ETH=60]: show or set targets", handlers.targets),
    Command("stats", "totals and drift over time, with a chart", handlers.stats),
    Command("history", "[N]: the last N rebalances", handlers.history),
    Command("alerts", "on or off: drift alerts", handlers.alerts),
    # Autopilot (bot.telegram.autopilot)
    Command("status", "the autopilot: mode, next check, last run, caps", autopilot.status),
    Command("pause", "hold automatic rebalances", autopilot.pause),
    Command("resume", "let automatic rebalances run again", autopilot.resume),
    Command(
        "positions", "entry prices, value and P&L per asset, with a chart", positions.positions
    ),
    Command("basis", "SYMBOL PRICE: what a holding from before the bot cost", positions.basis),
)


def handler_list() -> list[tuple[BaseHandler[Any, Context, Any], int]]:
    """Every handler and its group: the gate (-1), commands and buttons (0), the log line (1)."""
    found: list[tuple[BaseHandler[Any, Context, Any], int]] = [(TypeHandler(Update, auth.gate), -1)]
    found += [(CommandHandler(c.name, c.callback), 0) for c in COMMANDS]
    found += [
        (CallbackQueryHandler(callbacks.on_button), 0),
        (MessageHandler(filters.COMMAND, handlers.unknown), 0),
        (MessageHandler(filters.ALL, handlers.other), 0),
        (TypeHandler(Update, auth.note_handled), 1),
    ]
    return found


def startup_problem(settings: Settings) -> str | None:
    """Why the bot cannot start with these settings, in one line; None when it can."""
    if settings.telegram_bot_token is None:
        return (
            "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and set "
            "TELEGRAM_BOT_TOKEN=123456:ABC-DEF"
        )
    bad = [user for user in settings.telegram_allowed_users if user <= 0]
    if bad:
        return (
            f"TELEGRAM_ALLOWED_USERS: {bad[0]} is not a Telegram user id "
            "(example: TELEGRAM_ALLOWED_USERS=123456789,987654321)"
        )
    return None


def build_application(
    settings: Settings,
    *,
    open_facade: FacadeFactory = open_bot_rebalancer,
    request: BaseRequest | None = None,
    alert_first_s: float = ALERT_FIRST_S,
    reconcile_every_s: float = RECONCILE_EVERY_S,
) -> BotApp:
    """The Application with every handler, the drift job and the facade opened in post_init."""
    problem = startup_problem(settings)
    if problem is not None or settings.telegram_bot_token is None:
        raise ValueError(problem)
    api = settings.telegram_api_url
    builder = (
        Application.builder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .context_types(ContextTypes(bot_data=BotData))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW))
        .rate_limiter(RetryingSender())
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(open_resources)
        .post_shutdown(close_resources)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = cast(BotApp, builder.build())  # PTB's builder types the JobQueue loosely
    _configure(app, settings, open_facade, alert_first_s)
    _schedule_reconciliation(app, reconcile_every_s)
    return app


_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def _configure(app: BotApp, settings: Settings, opener: FacadeFactory, first_s: float) -> None:
    data = app.bot_data
    data.config = BotConfig(
        allowed_users=frozenset(settings.telegram_allowed_users),
        mode=settings.trading_mode,
        alert_interval_s=settings.alert_interval_minutes * 60.0,
        alert_first_s=first_s,
        drift_band_pct=settings.drift_band_pct,
        autopilot=settings.autopilot,
    )
    data.opener = lambda: off_loop(opener(settings))  # the core on a loop of its own
    data.webhook = _webhook(settings)
    data.side_server = _http_server(settings, data.webhook)
    data.menu = tuple((c.name, c.description) for c in COMMANDS)
    for handler, group in handler_list():
        app.add_handler(handler, group=group)
    app.add_error_handler(failures.on_error)
    if app.job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without its job-queue extra")
    interval = data.config.alert_interval_s
    check = jobs.drift_job if settings.autopilot == "off" else autopilot.autopilot_job
    app.job_queue.run_repeating(check, interval=interval, first=first_s, name=autopilot.JOB_NAME)
    app.job_queue.run_repeating(
        jobs.heartbeat_job, interval=HEARTBEAT_SECONDS, first=0, name="heartbeat"
    )


def _webhook(settings: Settings) -> Webhook | None:
    url, secret, path = (
        settings.telegram_webhook_url,
        settings.telegram_webhook_secret,
        settings.webhook_path,
    )
    if url is None or secret is None or path is None:
        return None
    return Webhook(url, path, secret.get_secret_value())


def _http_server(settings: Settings, webhook: Webhook | None) -> SideServer | None:
    """The HTTP server in the bot's own event loop: the API when API_TOKEN_READ or _TRADE is
    set, and the webhook's route in webhook mode."""
    if not settings.api_enabled and webhook is None:
        return None
    from bot.telegram.serving import http_server  # noqa: PLC0415 - web stack only when on

    return lambda app: http_server(settings, app, webhook)


def _schedule_reconciliation(app: BotApp, every_s: float) -> None:
    """Orders whose outcome is not known yet are asked about again on a timer, not only
    when someone next confirms a plan."""
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            jobs.reconcile_job, interval=every_s, first=every_s, name="reconcile"
        )


async def open_resources(app: BotApp) -> None:
    """post_init: open the facade (database, exchange client; it reconciles), set the menu."""
    data = app.bot_data
    if data.opener is None:
        raise RuntimeError("no facade opener: build the bot with build_application")
    data.facade = await data.stack.enter_async_context(data.opener())
    data.charts = data.stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="charts"))
    await jobs.beat(data)  # the first beat now: a job due during post_init may be skipped
    if data.side_server is not None:  # closed before the facade (the stack unwinds in reverse)
        data.served = await data.stack.enter_async_context(data.side_server(app))
    if not data.config.allowed_users:
        log.warning("TELEGRAM_ALLOWED_USERS is empty: nobody may use this bot")
    await _set_menu(app)


async def _set_menu(app: BotApp) -> None:
    commands = [BotCommand(c.name, c.description) for c in COMMANDS]
    try:
        await app.bot.set_my_commands(commands)
    except TelegramError as e:  # the menu is a convenience; commands work without it
        log.warning("could not set the command menu", error=str(e))


async def close_resources(app: BotApp) -> None:
    """post_shutdown: close the facade and the chart thread (after work in flight ended)."""
    data = app.bot_data
    await data.stack.aclose()
    data.facade = None
    data.charts = None


def run_bot(settings: Settings) -> int:
    """`rebalance-bot run`: poll Telegram until SIGTERM; the process exit code."""
    problem = startup_problem(settings)
    if problem is not None:
        print(f"rebalance-bot: configuration error: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    return asyncio.run(serve(build_application(settings)))
