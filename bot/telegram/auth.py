"""The authorization gate: runs before every handler, commands and button presses alike.

Registered as `TypeHandler(Update, gate)` in group -1. An allowed user passes on (with
`user_id`, `chat_id`, `command` and `plan_id` bound to the log context); anyone else gets
one short refusal telling them their numeric id, and `ApplicationHandlerStop` ends the
update there: no facade call, so no exchange request and no database write.
`note_handled` (group 1) writes the canonical log line of each update that got through.
"""

from __future__ import annotations

import structlog
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.telegram import render_info
from bot.telegram.parse import button_press
from bot.telegram.state import Context
from core.logs import get_logger
from telegram import Update

log = get_logger(__name__)


def log_context(update: Update) -> dict[str, object]:
    """Who and what an update is about, for log lines; never message text or secrets."""
    fields: dict[str, object] = {}
    if update.effective_user is not None:
        fields["user_id"] = update.effective_user.id
    if update.effective_chat is not None:
        fields["chat_id"] = update.effective_chat.id
    message = update.message
    if message is not None and message.text and message.text.startswith("/"):
        fields["command"] = message.text.split()[0][:40]
    query = update.callback_query
    if query is not None:
        press = button_press(query.data)
        fields["button"] = press.action.name.lower() if press else "unknown"
        if press is not None:
            fields["plan_id"] = press.plan_id
    return fields


async def gate(update: Update, context: Context) -> None:
    """Let allowed users through; refuse everyone else once and stop the update."""
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(**log_context(update))
    user = update.effective_user
    if user is not None and user.id in context.bot_data.config.allowed_users:
        return
    log.warning("refused an update from a user not in TELEGRAM_ALLOWED_USERS")
    if user is not None:
        await _refuse(update, user.id)
    raise ApplicationHandlerStop


async def note_handled(update: Update, context: Context) -> None:
    """Group 1, after the handlers: the one canonical log line per handled update."""
    log.info("update handled")


async def _refuse(update: Update, user_id: int) -> None:
    text = render_info.refusal(user_id)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(
                f"Not allowed. Your user id is {user_id}.", show_alert=True
            )
        elif update.effective_message is not None:
            await update.effective_message.reply_html(text)
    except TelegramError as e:  # the refusal is a courtesy; never let it fail the gate
        log.warning("could not send the refusal", error=str(e))
