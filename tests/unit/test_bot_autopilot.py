"""The autopilot in Telegram: the scheduled check's messages, /pause, /resume, /status."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.telegram.app import ALERT_FIRST_S
from bot.telegram.render_autopilot import guard
from core.app.api import AutopilotCheck, PreparedPlan
from core.domain.autopilot import Action, Guard
from core.errors import ExchangeUnavailable, ExecutionRefused
from tests.unit.test_bot_fakes import (
    FRIEND,
    NOW,
    OWNER,
    FakeFacade,
    OfflineBot,
    assert_valid_telegram_html,
    command_update,
    offline_bot,
    worked_plan,
)

AUTO = {"autopilot": "auto", "autopilot_max_trade_value": "500"}


async def run_check(bot: OfflineBot) -> None:
    assert bot.app.job_queue is not None
    [job] = bot.app.job_queue.get_jobs_by_name("drift")
    await job.run(bot.app)


def proposals() -> tuple[PreparedPlan, ...]:
    expires = NOW + timedelta(minutes=2)
    return tuple(
        PreparedPlan(f"plan-{user}", str(user), worked_plan(), expires) for user in (OWNER, FRIEND)
    )


def sent(bot: OfflineBot) -> list[dict[str, Any]]:
    return [c.params for c in bot.api.of("sendMessage")]


async def test_the_first_scheduled_check_comes_within_ten_seconds_of_start() -> None:
    assert 0 < ALERT_FIRST_S <= 10


async def test_propose_sends_each_user_their_own_plan_with_confirm_buttons() -> None:
    check = AutopilotCheck(Action.PROPOSE, worked_plan(), proposals=proposals())
    async with offline_bot(FakeFacade(autopilot=check), autopilot="propose") as bot:
        await run_check(bot)
        messages = sent(bot)
        assert bot.facade.called("autopilot_check") == [((str(OWNER), str(FRIEND)),)]
        assert bot.facade.called("poll_drift") == []
    assert [m["chat_id"] for m in messages] == [OWNER, FRIEND]
    for message, user in zip(messages, (OWNER, FRIEND), strict=True):
        buttons = message["reply_markup"]["inline_keyboard"][0]
        assert [b["callback_data"] for b in buttons] == [f"c:plan-{user}", f"x:plan-{user}"]
        assert "Autopilot" in message["text"] and "Confirm" in message["text"]
        assert_valid_telegram_html(message["text"])


async def test_a_run_held_by_the_cap_is_proposed_saying_which_guard_held_it() -> None:
    check = AutopilotCheck(
        Action.PROPOSE,
        worked_plan(),
        guards=(Guard.MAX_TRADE_VALUE,),
        proposals=proposals()[:1],
        max_trade_value=Decimal(500),
    )
    async with offline_bot(FakeFacade(autopilot=check), **AUTO) as bot:
        await run_check(bot)
        [message] = sent(bot)
    assert "did not execute it" in message["text"]
    assert "more than AUTOPILOT_MAX_TRADE_VALUE (500.00 EUR)" in message["text"]
    assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"c:plan-{OWNER}"


async def test_an_automatic_run_is_reported_to_every_allowed_user() -> None:
    report = await FakeFacade().execute("plan-a", "autopilot")
    check = AutopilotCheck(Action.EXECUTE, worked_plan(), report=report)
    async with offline_bot(FakeFacade(autopilot=check), **AUTO) as bot:
        await run_check(bot)
        messages = sent(bot)
    assert [m["chat_id"] for m in messages] == [OWNER, FRIEND]
    text = messages[0]["text"]
    assert "Autopilot rebalance" in text and "Triggered by" in text and "BTC" in text
    assert "SELL" in text and "fees" in text and "Largest drift" in text
    assert "reply_markup" not in messages[0]
    assert_valid_telegram_html(text)


async def test_a_failed_automatic_run_is_reported_as_a_failure() -> None:
    failure = ExchangeUnavailable("EService:Unavailable")
    check = AutopilotCheck(Action.EXECUTE, worked_plan(), failure=failure)
    async with offline_bot(FakeFacade(autopilot=check), **AUTO) as bot:
        await run_check(bot)
        texts = bot.api.texts()
    assert len(texts) == 2
    assert all("Autopilot rebalance failed" in t and "Kraken is unavailable" in t for t in texts)


async def test_a_wait_is_told_once_and_not_on_later_checks() -> None:
    told = AutopilotCheck(
        Action.WAIT, worked_plan(), guards=(Guard.COOLDOWN,), tell=True, cooldown_ends_at=NOW
    )
    facade = FakeFacade(autopilot=told)
    async with offline_bot(facade, **AUTO) as bot:
        await run_check(bot)
        facade.autopilot = AutopilotCheck(Action.WAIT, worked_plan(), guards=(Guard.COOLDOWN,))
        await run_check(bot)
        texts = bot.api.texts()
    assert len(texts) == 2  # one check, two users
    assert all("Autopilot waiting" in t and "REBALANCE_COOLDOWN_MINUTES" in t for t in texts)


async def test_a_refused_run_is_told_in_the_bots_words() -> None:
    refusal = ExecutionRefused("Prices moved more than 1%.", code="prices_moved")
    check = AutopilotCheck(Action.WAIT, worked_plan(), refusal=refusal, tell=True)
    async with offline_bot(FakeFacade(autopilot=check), **AUTO) as bot:
        await run_check(bot)
        texts = bot.api.texts()
    assert all("Prices moved more than 1%." in t for t in texts)


async def test_nothing_to_do_sends_nothing() -> None:
    async with offline_bot(FakeFacade(), **AUTO) as bot:
        await run_check(bot)
        assert sent(bot) == []


async def test_failing_autopilot_checks_are_told_once() -> None:
    facade = FakeFacade(failure=ExchangeUnavailable("EService:Unavailable"), failures_to_tell=2)
    async with offline_bot(facade, **AUTO) as bot:
        for _ in range(4):
            await run_check(bot)
        texts = bot.api.texts()
    assert len(texts) == 2 and all("keep failing" in t for t in texts)


async def test_pause_and_resume_answer_whether_anything_changed() -> None:
    async with offline_bot(FakeFacade(), **AUTO) as bot:
        for text in ("/pause", "/pause", "/resume", "/resume"):
            await bot.app.process_update(command_update(bot.app, text))
        texts = bot.api.texts()
        assert bot.facade.called("pause_autopilot") == [(str(OWNER),), (str(OWNER),)]
    assert "paused" in texts[0] and "/resume" in texts[0]
    assert "already paused" in texts[1]
    assert "resumed" in texts[2]
    assert "was not paused" in texts[3]


async def test_status_shows_mode_pause_strategy_next_check_last_run_and_cap() -> None:
    facade = FakeFacade(autopilot_paused=True)
    async with offline_bot(facade, **AUTO) as bot:
        await bot.app.process_update(command_update(bot.app, "/status"))
        [text] = bot.api.texts()
    assert "auto" in text and "Paused" in text and "band-edge" in text
    assert "Next check: 2026-01-12" in text and "Last run: none yet" in text
    assert "500.00 EUR per automatic run" in text and "1 of 4" in text
    assert_valid_telegram_html(text)


def test_every_guard_has_words_naming_its_setting_or_command() -> None:
    check = AutopilotCheck(
        Action.PROPOSE, worked_plan(), max_trade_value=Decimal(500), max_runs_per_day=4
    )
    words = {g: guard(check, g) for g in Guard}
    assert "AUTOPILOT_MAX_TRADE_VALUE" in words[Guard.MAX_TRADE_VALUE]
    assert "AUTOPILOT_MAX_RUNS_PER_DAY=4" in words[Guard.MAX_RUNS_PER_DAY]
    assert "REBALANCE_COOLDOWN_MINUTES" in words[Guard.COOLDOWN]
    assert "/resume" in words[Guard.PAUSED]
    assert "snapshot" in words[Guard.SNAPSHOT]
    assert "not known yet" in words[Guard.UNRESOLVED]
