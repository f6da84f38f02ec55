"""The one error handler: log the failure with its context, reply in one short line."""

from __future__ import annotations

from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.telegram import messages
from bot.telegram.auth import log_context
from bot.telegram.markup import esc
from bot.telegram.state import Context
from core.logs import get_logger
from telegram import Update

log = get_logger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log what failed (user, command, plan id; no secrets) and tell the user; keep running."""
    error = context.error
    if error is None:
        return
    fields = log_context(update) if isinstance(update, Update) else {}
    if messages.is_expected(error):
        log.warning("update failed", error_type=type(error).__name__, error=str(error), **fields)
    else:
        log.error("update crashed", exc_info=error, **fields)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            esc(messages.describe(error, command_of(update))),
            parse_mode=ParseMode.HTML,
        )
    except TelegramError as e:
        log.warning("could not tell the user about the failure", error=str(e))


def command_of(update: Update) -> str:
    """The command an update carried ("basis" for "/basis@rebal_bot BTC x"), or ""."""
    text = update.effective_message.text if update.effective_message else None
    if not text or not text.startswith("/"):
        return ""
    return text.split(maxsplit=1)[0][1:].partition("@")[0].lower()
