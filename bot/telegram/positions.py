"""/positions and /basis: thin handlers (parse, call the Api, render, reply)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from bot.telegram import charts_positions, render_positions
from bot.telegram.parse import ArgumentError
from bot.telegram.replies import reply, reply_chart
from bot.telegram.state import Context
from telegram import Message, Update

BASIS_EXAMPLE = "/basis BTC 30000"


def _message(update: Update) -> Message:
    if update.effective_message is None:
        raise RuntimeError("a command handler got an update without a message")
    return update.effective_message


def basis_args(args: Sequence[str]) -> tuple[str, str]:
    """`/basis SYMBOL PRICE`: the symbol and the price as typed (the core checks both)."""
    if len(args) != 2:
        raise ArgumentError(
            "Say which asset and what one unit cost, in the quote currency.\n"
            f"Example: {BASIS_EXAMPLE}"
        )
    return args[0], args[1]


async def positions(update: Update, context: Context) -> None:
    """Every position from real fills at live prices, with a chart of value over time."""
    message = _message(update)
    report = await context.bot_data.facade.positions()
    await reply(message, render_positions.positions(report))
    if report.samples:
        draw = partial(charts_positions.value_png, report.samples, report.quote)
        await reply_chart(message, context, draw, "value.png", "Value over time")


async def basis(update: Update, context: Context) -> None:
    """`/basis SYMBOL PRICE`: what a holding from before the bot really cost."""
    symbol, price = basis_args(context.args or ())
    result = await context.bot_data.facade.set_basis(symbol, price)
    await reply(_message(update), render_positions.basis(result))
