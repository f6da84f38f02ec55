"""The [Confirm] / [Cancel] buttons, driven with offline CallbackQuery updates."""

from __future__ import annotations

import pytest

from core.domain.statuses import RunOutcome
from core.errors import ExchangeUnavailable, ExecutionRefused
from tests.unit.test_bot_fakes import (
    FRIEND,
    OWNER,
    FakeFacade,
    assert_valid_telegram_html,
    offline_bot,
    press_update,
)


def keyboard_of(params: dict[str, object]) -> object:
    return params.get("reply_markup")


async def test_confirm_answers_at_once_then_shows_executing_then_reports_each_fill() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        methods = [c.method for c in bot.api.calls]
        edits = bot.api.of("editMessageText")
        [report] = bot.api.texts()
    assert methods[0] == "answerCallbackQuery"
    assert bot.facade.called("execute") == [("plan-1", str(OWNER))]
    assert "Executing" in edits[0].params["text"] and keyboard_of(edits[0].params) is None
    assert len(edits) == 2 + len(bot.facade.plan.orders)  # executing, one per fill, done
    assert edits[-1].params["text"].endswith("Executed: the report is below.")
    assert "Rebalance done" in report and "SELL" in report and "fees" in report
    assert "32.7 pp → 0.3 pp" in report
    for edit in edits:
        assert_valid_telegram_html(edit.params["text"])


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (RunOutcome.PARTIAL, "Done (partial): the report is below."),
        (RunOutcome.FAILED, "Failed: no order filled; the report is below."),
    ],
)
async def test_the_plan_message_says_how_the_run_ended(outcome: RunOutcome, status: str) -> None:
    async with offline_bot(FakeFacade(outcome=outcome)) as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        last = bot.api.of("editMessageText")[-1]
    assert last.params["text"].endswith(status) and "Executed" not in last.params["text"]


async def test_a_refusal_names_no_internal_plan_id() -> None:
    refusal = ExecutionRefused(
        "This plan expired at 10:02:00 UTC.", code="expired", data={"plan_id": "NkL0Kngx67pwNQqc"}
    )
    async with offline_bot(FakeFacade(refusal=refusal)) as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-NkL0Kngx67pwNQqc"))
        last = bot.api.of("editMessageText")[-1]
    assert "This plan expired at 10:02:00 UTC." in last.params["text"]
    assert "NkL0" not in last.params["text"]


async def test_a_double_tap_is_answered_without_a_second_execution() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        bot.api.clear()
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        [answer] = bot.api.of("answerCallbackQuery")
        methods = [c.method for c in bot.api.calls]
    assert len(bot.facade.called("execute")) == 1
    assert "already being handled" in answer.params["text"]
    assert methods == ["answerCallbackQuery"]


@pytest.mark.parametrize("code", ["expired", "prices_moved", "unknown_plan", "changed", "stale"])
async def test_a_refused_plan_says_why_and_loses_its_buttons(code: str) -> None:
    refusal = ExecutionRefused(f"Refused because {code}. Nothing was placed.", code=code)
    async with offline_bot(FakeFacade(refusal=refusal)) as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        last = bot.api.of("editMessageText")[-1]
    assert f"Refused because {code}" in last.params["text"]
    assert keyboard_of(last.params) is None


async def test_a_press_by_another_user_is_refused_and_the_owner_keeps_the_buttons() -> None:
    refusal = ExecutionRefused("Plan plan-1 belongs to another user.", code="other_user")
    facade = FakeFacade(refusal=refusal)
    async with offline_bot(facade) as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1", user_id=FRIEND))
        restored = bot.api.of("editMessageText")[-1]
        [note] = bot.api.texts()
        facade.refusal = None
        await bot.app.process_update(press_update(bot.app, "c:plan-1", user_id=OWNER))
    assert "belongs to another user" in note
    assert keyboard_of(restored.params) is not None and "Executing" not in restored.params["text"]
    assert facade.called("execute") == [("plan-1", str(FRIEND)), ("plan-1", str(OWNER))]


@pytest.mark.parametrize("code", ["already_used", "cancelled"])
async def test_a_press_on_a_plan_handled_before_leaves_its_message_as_it_was(code: str) -> None:
    refusal = ExecutionRefused(f"Plan plan-1 was {code}.", code=code)
    async with offline_bot(FakeFacade(refusal=refusal)) as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        restored = bot.api.of("editMessageText")[-1]
        [note] = bot.api.texts()
    assert restored.params["text"] == "<b>Plan</b>"
    assert keyboard_of(restored.params) is None
    assert f"was {code}" in note


@pytest.mark.parametrize("code", ["busy", "cooldown"])
async def test_a_refusal_that_leaves_the_plan_pending_keeps_it_usable(code: str) -> None:
    """The core keeps the plan pending (it may run once the other run or the cooldown is
    over), so the bot puts the buttons back: the two agree."""
    refusal = ExecutionRefused("Another rebalance is running right now.", code=code)
    facade = FakeFacade(refusal=refusal)
    async with offline_bot(facade) as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        restored = bot.api.of("editMessageText")[-1]
        facade.refusal = None
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
    assert keyboard_of(restored.params) is not None
    assert len(facade.called("execute")) == 2


async def test_cancel_cancels_and_removes_the_buttons() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(press_update(bot.app, "x:plan-1"))
        [edit] = bot.api.of("editMessageText")
    assert bot.facade.called("cancel") == [("plan-1", str(OWNER))]
    assert bot.facade.called("execute") == []
    assert "Cancelled" in edit.params["text"] and keyboard_of(edit.params) is None


async def test_an_exchange_failure_during_execution_is_reported_in_words() -> None:
    facade = FakeFacade()
    async with offline_bot(facade) as bot:
        facade.refusal = None
        facade.failure = ExchangeUnavailable("EService:Unavailable")
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        [text] = bot.api.texts()
    assert "Kraken is unavailable right now" in text


async def test_progress_edits_that_fail_never_stop_the_execution() -> None:
    async with offline_bot() as bot:
        bot.api.failing["editMessageText"] = (400, "Bad Request: message to edit not found")
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        [report] = bot.api.texts()
    assert "Rebalance done" in report


async def test_button_data_this_bot_never_made_is_answered_and_ignored() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(press_update(bot.app, "zz-not-ours"))
        [answer] = bot.api.of("answerCallbackQuery")
    assert "no longer valid" in answer.params["text"]
    assert bot.facade.calls == []
