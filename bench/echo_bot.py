"""`python -m bench.echo_bot`: the reference for the bot rows, a minimal PTB echo bot.

It is python-telegram-bot's own floor: the same library, the same long polling and the same
Bot API server, with one handler that answers every message with its own text and nothing
else (no database, no exchange client, no rendering, no job queue). Reads TELEGRAM_BOT_TOKEN
and TELEGRAM_API_URL; stops on SIGTERM like `rebalance-bot run`.
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a message with its own text."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(message.text or "(no text)")


def main() -> None:
    api = os.environ["TELEGRAM_API_URL"].rstrip("/")
    app = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.run_polling(poll_interval=0, timeout=10, allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
