"""The [Confirm] / [Cancel] buttons under a prepared plan.

A press is answered at once. Confirm then takes the buttons away, shows that it is
executing, runs `facade.execute` (the facade decides whether the plan may run: owner,
expiry, single use, cooldown, prices, one at a time) and reports each fill. The bot also
remembers which plans a press already took in hand (`BotData.claims`), so a double tap is
answered without touching the message a first tap is still editing.
"""

from __future__ import annotations

from telegram.error import TelegramError

from bot.telegram import messages, render
from bot.telegram.blocking import blocking
from bot.telegram.markup import MESSAGE_LIMIT, esc, utf16_len
from bot.telegram.parse import Action, button_press
from bot.telegram.replies import edit, reply
from bot.telegram.state import Context
from core.app.api import OrderOutcome
from core.errors import ExecutionRefused, RebalanceError
from core.logs import get_logger
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update

log = get_logger(__name__)

ALREADY_HANDLED = "This plan is already being handled. See /history."
OTHER_USERS_PLAN = "This plan belongs to another user: only they can confirm or cancel it."
STOPPED = "The execution stopped unexpectedly. Check /history before trying again."
STALE_BUTTON = "This button is no longer valid. Send /rebalance for a fresh plan."
# Refusals of a plan another press already dealt with: its message is left as it was.
# Whether the buttons stay is the core's word (`plan_confirmable`), never guessed here.
HANDLED_ELSEWHERE = frozenset({"already_used", "cancelled"})


class _PlanMessage:
    """The message carrying the plan and its buttons, as it was when the button was pressed."""

    def __init__(self, query: CallbackQuery) -> None:
        self.message = query.message if isinstance(query.message, Message) else None
        self.original = self.message.text_html if self.message and self.message.text else ""
        self.keyboard = self.message.reply_markup if self.message else None

    async def show(self, status: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
        """The plan with `status` under it; a failed edit is logged, never fatal."""
        text = render.with_status(self.original, status)
        if utf16_len(text) > MESSAGE_LIMIT:
            text = status
        await self._edit(text, keyboard)

    async def restore(self, keep_buttons: bool) -> None:
        await self._edit(self.original, self.keyboard if keep_buttons else None)

    async def _edit(self, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
        if self.message is None or not text:
            return
        try:
            await edit(self.message, text, keyboard)
        except TelegramError as e:
            log.warning("could not update the plan message", error=str(e))


async def on_button(update: Update, context: Context) -> None:
    """Confirm or cancel a prepared plan (callback data `c:<plan_id>` / `x:<plan_id>`)."""
    query = update.callback_query
    if query is None:
        return
    press = button_press(query.data)
    if press is None:
        await _answer(query, STALE_BUTTON)
        return
    owner = await blocking(context.bot_data.facade.plan_owner, press.plan_id)
    if owner not in (None, str(query.from_user.id)):
        await _answer(query, OTHER_USERS_PLAN)  # the owner's message stays as it is
        return
    if press.plan_id in context.bot_data.claims:
        await _answer(query, ALREADY_HANDLED)
        return
    context.bot_data.claims.add(press.plan_id)
    await _answer(query)
    if press.action is Action.CANCEL:
        await _cancel(query, press.plan_id, context)
    else:
        await _confirm(query, press.plan_id, context)


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    """Stop the button's spinner (with a short note). Never fatal: Telegram refuses answers
    to old presses (one that waited while the bot was down); the facade decides anyway."""
    try:
        await query.answer(text)
    except TelegramError as e:
        log.warning("could not answer the button press", error=str(e))


async def _cancel(query: CallbackQuery, plan_id: str, context: Context) -> None:
    plan_message = _PlanMessage(query)
    try:
        await blocking(context.bot_data.facade.cancel, plan_id, str(query.from_user.id))
    except ExecutionRefused as e:
        await _refused(plan_message, plan_id, e, context, edited=False)
        return
    log.info("plan cancelled")
    await plan_message.show("✖️ <b>Cancelled</b>: nothing was traded.")


async def _confirm(query: CallbackQuery, plan_id: str, context: Context) -> None:
    plan_message = _PlanMessage(query)
    facade = context.bot_data.facade
    await plan_message.show(render.executing((), facade.quote))
    done: list[OrderOutcome] = []

    async def progress(outcome: OrderOutcome) -> None:
        done.append(outcome)
        try:  # never let a Telegram hiccup abort an execution
            await plan_message.show(render.executing(done, facade.quote))
        except Exception:
            log.exception("could not show execution progress")

    try:
        result = await facade.execute(plan_id, str(query.from_user.id), progress=progress)
    except ExecutionRefused as e:
        await _refused(plan_message, plan_id, e, context, edited=True)
        return
    except RebalanceError as e:
        log.warning("execution stopped", error_type=type(e).__name__, error=str(e))
        if await _still_confirmable(
            plan_id, context
        ):  # nothing was placed; it may be pressed again
            await _keep(plan_message, plan_id, "⚠️ " + esc(messages.describe(e)), context)
            return
        await _stopped(query, plan_message, messages.describe(e))
        return
    except Exception:  # a bug: the error handler logs it and tells the user
        await plan_message.show("⚠️ " + esc(STOPPED))
        raise
    log.info("plan executed", outcome=result.outcome.value, orders=len(result.orders))
    await plan_message.show(render.executed_status(result.outcome))
    await _report(query, render.report(result, context.bot_data.config.mode))


async def _stopped(query: CallbackQuery, plan_message: _PlanMessage, words: str) -> None:
    text = "⚠️ " + esc(words)
    await plan_message.show(text)
    await _report(query, text)


async def _report(query: CallbackQuery, text: str) -> None:
    if isinstance(query.message, Message):
        await reply(query.message, text)
    else:
        await query.get_bot().send_message(query.from_user.id, text)


async def _refused(
    plan_message: _PlanMessage,
    plan_id: str,
    error: ExecutionRefused,
    context: Context,
    *,
    edited: bool,
) -> None:
    """Say why the plan did not run; leave or put back a message that is not ours to end."""
    log.info("plan refused", code=error.code)
    words = "⛔ " + esc(messages.refused(error))
    if await _still_confirmable(plan_id, context):
        await _keep(plan_message, plan_id, words, context, edited=edited)
        return
    if error.code not in HANDLED_ELSEWHERE:
        await plan_message.show(words)
        return
    await plan_message.restore(keep_buttons=False)
    if plan_message.message is not None:
        await reply(plan_message.message, words)


async def _still_confirmable(plan_id: str, context: Context) -> bool:
    """The core's word on whether the plan's owner may press Confirm again."""
    return await blocking(context.bot_data.facade.plan_confirmable, plan_id)


async def _keep(
    plan_message: _PlanMessage, plan_id: str, words: str, context: Context, *, edited: bool = True
) -> None:
    """The plan stays usable: its buttons come back, and the reason is sent below it."""
    context.bot_data.claims.discard(plan_id)
    if edited:
        await plan_message.restore(keep_buttons=True)
    if plan_message.message is not None:
        await reply(plan_message.message, words)
