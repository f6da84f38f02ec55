"""The autopilot in Telegram: the scheduled check under AUTOPILOT=propose|auto, and the
/pause, /resume and /status commands.

The check is the drift-alert job's place on the JobQueue (named "drift"): the core decides
(`Api.autopilot_check`), this module only tells. A proposal goes to each allowed user with
their own plan and its Confirm/Cancel buttons (the usual button handler runs it); an
automatic run's report, a failure, or a wait goes to every allowed user.
"""

from __future__ import annotations

from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.telegram import markup, messages, render, render_autopilot, render_info
from bot.telegram.blocking import blocking
from bot.telegram.jobs import broadcast
from bot.telegram.replies import reply
from bot.telegram.state import BotData, Context
from core.app.api import AutopilotCheck
from core.domain.autopilot import Action
from core.errors import RebalanceError
from core.logs import get_logger
from telegram import Bot, InlineKeyboardMarkup, Update

log = get_logger(__name__)
JOB_NAME = "drift"  # the scheduled check, whatever AUTOPILOT says


def users(data: BotData) -> list[int]:
    return sorted(data.config.allowed_users)


async def autopilot_job(context: Context) -> None:
    """One scheduled check: propose or execute a due rebalance, once per band crossing."""
    data = context.bot_data
    try:
        check = await data.facade.autopilot_check([str(u) for u in users(data)])
    except RebalanceError as e:
        log.warning("scheduled autopilot check failed", error_type=type(e).__name__, error=str(e))
        if await blocking(data.facade.note_check_failure):
            text = render_info.check_failing(messages.describe(e))
            await broadcast(context.bot, users(data), text)
        return
    await tell(context.bot, data, check)


async def tell(bot: Bot, data: BotData, check: AutopilotCheck) -> None:
    """Say what the check did, to whom it concerns."""
    mode = data.config.mode
    if check.action is Action.PROPOSE:
        log.info("autopilot proposed", guards=[g.value for g in check.guards])
        for prepared in check.proposals:
            text = render_autopilot.proposal(prepared, check, mode)
            await _send(bot, int(prepared.user_id), text, render.confirm_keyboard(prepared.plan_id))
    elif check.action is Action.EXECUTE:
        await broadcast(bot, users(data), render_autopilot.executed(check, mode))
    elif check.action is Action.WAIT and check.tell:
        log.info("autopilot waiting", guards=[g.value for g in check.guards])
        await broadcast(bot, users(data), render_autopilot.waiting(check))


async def _send(bot: Bot, user_id: int, html: str, keyboard: InlineKeyboardMarkup) -> None:
    """One message to one user; the buttons go under its last part."""
    chunks = markup.split(html) or ["…"]
    try:
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            await bot.send_message(
                user_id, chunk, parse_mode=ParseMode.HTML, reply_markup=keyboard if last else None
            )
    except TelegramError as e:
        log.warning("could not send a proposal", user_id=user_id, error=str(e))


def _user_id(update: Update) -> str:
    if update.effective_user is None:
        raise RuntimeError("a command handler got an update without a user")
    return str(update.effective_user.id)


async def pause(update: Update, context: Context) -> None:
    """`/pause`: no automatic run until /resume (kept in the database)."""
    changed = await blocking(context.bot_data.facade.pause_autopilot, _user_id(update))
    if update.effective_message is not None:
        await reply(update.effective_message, render_autopilot.pause_result(changed))


async def resume(update: Update, context: Context) -> None:
    """`/resume`: automatic runs again."""
    changed = await blocking(context.bot_data.facade.resume_autopilot, _user_id(update))
    if update.effective_message is not None:
        await reply(update.effective_message, render_autopilot.resume_result(changed))


async def status(update: Update, context: Context) -> None:
    """`/status`: the autopilot's mode, pause, strategy, next check, last run and caps."""
    text = render_autopilot.status(await blocking(context.bot_data.facade.autopilot_status))
    if update.effective_message is not None:
        await reply(update.effective_message, text)
