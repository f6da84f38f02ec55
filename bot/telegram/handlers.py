"""One thin handler per command: parse the arguments, call the facade, render, reply.

Wrong arguments raise `bot.telegram.parse.ArgumentError` and core failures raise `core.errors`
exceptions; the one error handler (`bot.telegram.failures`) turns both into a reply.
"""

from __future__ import annotations

from functools import partial

from bot.telegram import charts, parse, render, render_info, render_positions
from bot.telegram.blocking import blocking
from bot.telegram.replies import reply, reply_chart
from bot.telegram.state import Context
from telegram import Message, Update


def _message(update: Update) -> Message:
    if update.effective_message is None:
        raise RuntimeError("a command handler got an update without a message")
    return update.effective_message


def _user_id(update: Update) -> str:
    if update.effective_user is None:
        raise RuntimeError("a command handler got an update without a user")
    return str(update.effective_user.id)


async def start(update: Update, context: Context) -> None:
    """What the bot does, its mode (paper or live) and its commands."""
    data = context.bot_data
    await reply(_message(update), render_info.help_text(data.config.mode, data.menu))


async def check(update: Update, context: Context) -> None:
    """Current weights against the targets, with a chart."""
    message = _message(update)
    plan = await context.bot_data.facade.check()
    await reply(message, render.check(plan, context.bot_data.config.mode))
    draw = partial(charts.weights_png, plan)
    await reply_chart(message, context, draw, "weights.png", "Now vs target weights")


async def preview(update: Update, context: Context) -> None:
    """The orders a rebalance would place now, and what it would skip."""
    plan = await context.bot_data.facade.preview()
    await reply(_message(update), render.preview(plan, context.bot_data.config.mode))


async def rebalance(update: Update, context: Context) -> None:
    """Prepare a plan for this user and ask them to confirm or cancel it."""
    force = parse.rebalance_force(context.args or ())
    facade = context.bot_data.facade
    prepared = await facade.prepare_rebalance(_user_id(update))
    if prepared.plan.orders and not prepared.plan.rebalance_due and not force:
        await blocking(facade.cancel, prepared.plan_id, _user_id(update))  # nothing to confirm
        await reply(_message(update), render.not_due(prepared.plan))
        return
    keyboard = render.confirm_keyboard(prepared.plan_id) if prepared.plan.orders else None
    text = render.prepared(prepared, context.bot_data.config.mode)
    await reply(_message(update), text, keyboard)


async def lock(update: Update, context: Context) -> None:
    """`/lock SYMBOL [reason]`: rebalances stop trading that asset."""
    args = parse.lock_args(context.args or ())
    changed = await context.bot_data.facade.lock(args.symbol, _user_id(update), args.reason)
    await reply(_message(update), render_info.lock_result(args.symbol, changed))


async def unlock(update: Update, context: Context) -> None:
    """`/unlock SYMBOL|all`: rebalances may trade it again."""
    target = parse.unlock_target(context.args or ())
    facade = context.bot_data.facade
    if target == parse.ALL:
        names = [lock.symbol for lock in await blocking(facade.locked)]  # unlock_all() counts
        text = render_info.unlock_all_result(await blocking(facade.unlock_all), names)
    else:
        text = render_info.unlock_result(target, await blocking(facade.unlock, target))
    await reply(_message(update), text)


async def locked(update: Update, context: Context) -> None:
    """The locked assets, who locked them and why."""
    locks = await blocking(context.bot_data.facade.locked)
    await reply(_message(update), render_info.locked(locks))


async def targets(update: Update, context: Context) -> None:
    """`/targets` shows the target weights; `/targets BTC=40,ETH=60` replaces them."""
    weights = parse.targets_spec(context.args or ())
    facade = context.bot_data.facade
    if weights is None:
        text = render_info.targets(await blocking(facade.targets))
    else:
        stored = await facade.set_targets(parse.spec_text(weights))
        text = render_info.targets(stored, title="New target weights")
    await reply(_message(update), text)


async def stats(update: Update, context: Context) -> None:
    """Totals over all rebalances, with a chart of drift before and after."""
    message = _message(update)
    result = await blocking(context.bot_data.facade.stats)
    text = render_info.stats(result)
    if result.ledger is not None:  # positions: per month, fee share
        text += "\n\n" + render_positions.ledger_figures(result.ledger, result.quote_currency)
    await reply(message, text)
    if result.drift_series:
        band = context.bot_data.config.drift_band_pct
        draw = partial(charts.drift_png, result.drift_series, band)
        await reply_chart(message, context, draw, "drift.png", "Largest drift before and after")


async def history(update: Update, context: Context) -> None:
    """`/history [N]`: the last N rebalances and their orders."""
    count = parse.history_count(context.args or ())
    facade = context.bot_data.facade
    runs = await blocking(facade.history, count)
    await reply(_message(update), render_info.history(runs, facade.quote))


async def alerts(update: Update, context: Context) -> None:
    """`/alerts on|off`: drift alerts for this user; bare `/alerts` shows the setting."""
    switch = parse.alerts_switch(context.args or ())
    facade, user_id = context.bot_data.facade, _user_id(update)
    if switch is not None:
        await blocking(facade.set_alerts, user_id, switch)
    enabled = await blocking(facade.alerts_enabled, user_id)
    await reply(_message(update), render_info.alerts_state(enabled))


async def unknown(update: Update, context: Context) -> None:
    """A command this bot does not have: point to /help."""
    message = _message(update)
    await reply(message, render_info.unknown_command(message.text or ""))


async def other(update: Update, context: Context) -> None:
    """Anything that is not a command: point to /help."""
    await reply(_message(update), render_info.not_a_command())
