"""Scheduled drift alerts: a repeating JobQueue job that calls `facade.poll_drift()`."""

from __future__ import annotations

from collections.abc import Iterable

from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.telegram import markup, messages, render_info
from bot.telegram.blocking import blocking
from bot.telegram.state import BotData, Context, Facade
from core.errors import OperationRefused, RebalanceError
from core.logs import get_logger
from telegram import Bot

log = get_logger(__name__)


async def drift_job(context: Context) -> None:
    """Ask the facade whether a rebalance became due; tell the users who want alerts."""
    data = context.bot_data
    facade = data.facade
    try:
        alert = await facade.poll_drift()
    except RebalanceError as e:
        log.warning("scheduled drift check failed", error_type=type(e).__name__, error=str(e))
        if await blocking(facade.note_check_failure):
            text = render_info.check_failing(messages.describe(e))
            await broadcast(context.bot, await subscribers(data), text)
        return
    if alert is None:
        return
    log.info("drift alert", max_drift_pct=str(alert.plan.max_drift_pct))
    minutes = round(data.config.alert_interval_s / 60)
    await broadcast(context.bot, await subscribers(data), render_info.alert(alert, minutes))


async def reconcile_job(context: Context) -> None:
    """Ask the exchange again about orders whose outcome is not known yet (a lost answer, a
    crash); tell the allowed users what was found. Never resends anything."""
    data = context.bot_data
    try:
        outcomes = await data.facade.reconcile()
    except RebalanceError as e:
        log.warning("scheduled reconciliation failed", error=str(e))
        return
    resolved = [o for o in outcomes if not o.unresolved]
    if resolved:
        log.info("orders reconciled", orders=len(resolved))
        users = sorted(data.config.allowed_users)
        await broadcast(context.bot, users, render_info.reconciled(resolved))


async def heartbeat_job(context: Context) -> None:
    """Record that the bot is alive, for `rebalance-bot healthcheck` (the Docker HEALTHCHECK)."""
    await beat(context.bot_data)


async def beat(data: BotData) -> None:
    """Record the heartbeat; a failure is logged and never stops the bot (or its start),
    except that a bot whose database another bot has taken over stops."""
    try:
        await blocking(data.facade.heartbeat)
    except OperationRefused as e:  # another bot took over the database: this one stops
        log.error("stopping: another bot instance runs on this database", error=str(e))
        data.on_taken_over()
    except Exception as e:
        log.warning("heartbeat not recorded", error_type=type(e).__name__, error=str(e))


async def subscribers(data: BotData) -> list[int]:
    """Allowed users who have not turned alerts off."""
    facade: Facade = data.facade
    users = sorted(data.config.allowed_users)
    return [u for u in users if await blocking(facade.alerts_enabled, str(u))]


async def broadcast(bot: Bot, user_ids: Iterable[int], html: str) -> int:
    """Send `html` to each user's private chat; a user who blocked the bot is skipped."""
    delivered = 0
    for user_id in user_ids:
        try:
            for chunk in markup.split(html):
                await bot.send_message(user_id, chunk, parse_mode=ParseMode.HTML)
        except TelegramError as e:
            log.warning("could not message a user", user_id=user_id, error=str(e))
            continue
        delivered += 1
    return delivered
