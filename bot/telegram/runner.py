"""Running the Application: the same life cycle as PTB's `run_polling`, with exit codes.

`running()` is what `run_polling` does (initialize, post_init, poll, start; then stop the
updater, stop - which lets handlers in flight finish, an execution included - shutdown,
post_shutdown), as an async context manager so tests can drive the real thing in-process.
`serve()` adds signals and the outcome as a process exit code.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.telegram.conflict import ConflictWatch, tell_users
from bot.telegram.messages import describe
from bot.telegram.state import BotApp
from core.errors import OperationRefused, RebalanceError
from core.logs import get_logger
from telegram import Update

log = get_logger(__name__)

ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)
EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
EXIT_INSTANCE_RUNNING = 3  # another bot's heartbeat on this database is fresh
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
PollErrorCallback = Callable[[TelegramError], None]


@asynccontextmanager
async def running(
    app: BotApp, *, poll_timeout_s: float = 10, on_poll_error: PollErrorCallback | None = None
) -> AsyncIterator[BotApp]:
    """The bot polling and handling updates inside the block; shut down cleanly after it.

    Pending updates are NOT dropped at start: each plan's expiry, enforced by the facade,
    decides whether a press that waited while the bot was down may still execute.
    """
    if app.updater is None:
        raise RuntimeError("the application was built without an updater")
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        try:
            webhook = app.bot_data.webhook
            if webhook is None:  # PTB's polling deletes a webhook left from webhook mode first
                await app.updater.start_polling(
                    poll_interval=0,
                    timeout=timedelta(seconds=poll_timeout_s),
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=False,
                    error_callback=on_poll_error,
                )
            else:  # updates arrive on the HTTP server's webhook route (bot/telegram/webhook.py)
                await app.bot.set_webhook(
                    webhook.url,
                    secret_token=webhook.secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=False,
                )
                log.info("webhook registered", path=webhook.path)
            await app.start()
            yield app
        finally:
            await _stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def _stop(app: BotApp) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        log.info("stopping: letting updates in flight finish")
        await app.stop()


class _Supervisor:
    """Turns signals into one stop event and an exit code. A 409 Conflict is not fatal:
    `ConflictWatch` logs it and tells the users while PTB's polling loop backs off."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.exit_code = EXIT_OK

    def on_signal(self, signum: int) -> None:
        if self.stop.is_set():
            log.info("already stopping; waiting for work in flight", signal=signum)
        else:
            log.info("stop signal received", signal=signal.Signals(signum).name)
        self.stop.set()

    def taken_over(self) -> None:
        """Another bot has claimed the database: stop, and exit as a refused start does."""
        self.exit_code = EXIT_INSTANCE_RUNNING
        self.stop.set()


def _fatal(message: str, exit_code: int) -> int:
    """A start that cannot go on: one line on stderr for the operator (the log's stream too,
    so no log record beside it: one line, not two)."""
    print(f"rebalance-bot: {message}", file=sys.stderr, flush=True)
    return exit_code


async def serve(app: BotApp, *, poll_timeout_s: float = 10) -> int:
    """Run until SIGTERM/SIGINT (exit 0) or a fatal problem (non-zero, with one log line)."""
    supervisor = _Supervisor()
    loop = asyncio.get_running_loop()
    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, supervisor.on_signal, signum)
    app.bot_data.on_taken_over = supervisor.taken_over
    try:
        async with running(
            app, poll_timeout_s=poll_timeout_s, on_poll_error=ConflictWatch(tell_users(app))
        ):
            log.info("bot is running", bot=app.bot.username)
            await supervisor.stop.wait()
    except InvalidToken:
        return _fatal("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather", EXIT_CONFIG)
    except BadRequest as e:  # e.g. setWebhook refused the URL
        where = "TELEGRAM_WEBHOOK_URL" if app.bot_data.webhook is not None else "a start-up call"
        return _fatal(f"Telegram refused {where}: {e.message}", EXIT_FAILURE)
    except NetworkError as e:
        return _fatal(f"cannot reach Telegram at TELEGRAM_API_URL: {e}", EXIT_FAILURE)
    except OperationRefused as e:
        code = EXIT_INSTANCE_RUNNING if e.code == "instance_running" else EXIT_FAILURE
        return _fatal(describe(e), code)
    except RebalanceError as e:
        return _fatal(f"could not start: {describe(e)}", EXIT_FAILURE)
    finally:
        for signum in _STOP_SIGNALS:
            loop.remove_signal_handler(signum)
    log.info("bot stopped", exit_code=supervisor.exit_code)
    return supervisor.exit_code
