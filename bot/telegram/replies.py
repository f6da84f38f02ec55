"""Sending replies: long HTML split into several messages, charts rendered off the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.telegram import charts, markup
from bot.telegram.state import Context
from core.logs import get_logger
from telegram import InlineKeyboardMarkup, InputFile, Message

log = get_logger(__name__)


async def reply(
    message: Message, html: str, keyboard: InlineKeyboardMarkup | None = None
) -> Message:
    """Reply with `html`, split below Telegram's limit; the keyboard goes on the last part."""
    chunks = markup.split(html) or ["…"]
    sent = message
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        sent = await message.reply_html(chunk, reply_markup=keyboard if last else None)
    return sent


async def send(context: Context, chat_id: int, html: str) -> None:
    """A message to a chat that did not just write to us (alerts, notices)."""
    for chunk in markup.split(html):
        await context.bot.send_message(chat_id, chunk, parse_mode=ParseMode.HTML)


async def edit(message: Message, html: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Replace a message's text (and buttons); an unchanged text is not an error."""
    try:
        await message.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as e:
        if "not modified" not in str(e).lower():
            raise


async def reply_chart(
    message: Message, context: Context, draw: Callable[[], bytes], filename: str, caption: str
) -> None:
    """Render a chart in its own process (one at a time, waited for in the chart thread), then
    send it as a photo; a drawing bug is logged."""
    loop = asyncio.get_running_loop()
    try:
        png = await loop.run_in_executor(context.bot_data.charts, charts.render_apart, draw)
    except Exception:  # a chart is an extra: the text reply already went out
        log.exception("could not draw a chart", chart=filename)
        return
    await message.reply_photo(
        InputFile(png, filename=filename), caption=caption, parse_mode=ParseMode.HTML
    )
