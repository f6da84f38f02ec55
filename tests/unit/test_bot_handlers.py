"""Command handlers, driven through the real Application with offline `Update` objects."""

from __future__ import annotations

import pytest
import structlog
from structlog.testing import capture_logs

from bot.telegram.messages import KRAKEN_DOWN, UNEXPECTED
from core.errors import AuthenticationError, ExchangeUnavailable, StorageError
from tests.unit.test_bot_fakes import (
    FRIEND,
    OWNER,
    STRANGER,
    FakeFacade,
    assert_valid_telegram_html,
    command_update,
    offline_bot,
    press_update,
    run_summary,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def test_start_explains_the_bot_its_mode_and_every_command() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/start"))
        [text] = bot.api.texts()
    assert "paper mode" in text
    for command in ("/check", "/preview", "/rebalance", "/lock", "/unlock", "/locked"):
        assert command in text
    for command in ("/targets", "/stats", "/history", "/alerts", "/help"):
        assert command in text


async def test_help_in_live_mode_says_that_orders_are_real() -> None:
    settings = {
        "trading_mode": "live",
        "kraken_api_key": "key",
        "kraken_api_secret": "c2VjcmV0",
    }
    async with offline_bot(**settings) as bot:
        await bot.app.process_update(command_update(bot.app, "/help"))
        [text] = bot.api.texts()
    assert "LIVE mode" in text


async def test_startup_registers_the_commands_in_the_menu() -> None:
    async with offline_bot() as bot:
        await bot.app.post_init(bot.app)  # type: ignore[misc]
        [call] = bot.api.of("setMyCommands")
    names = [c["command"] for c in call.params["commands"]]
    assert names[:2] == ["start", "help"]
    assert {"check", "rebalance", "lock", "unlock", "alerts"} <= set(names)


async def test_check_replies_with_a_table_and_a_png_chart() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/check"))
        [text] = bot.api.texts()
        [photo] = bot.api.of("sendPhoto")
    assert "<pre>" in text and "BTC" in text and "Rebalance due" in text
    assert "See /preview, then /rebalance." in text
    assert_valid_telegram_html(text)
    upload = photo.files["photo"] if photo.files else None
    assert upload is not None
    filename, data, _ = upload
    assert filename.endswith(".png") and data.startswith(PNG_MAGIC)


async def test_check_tables_fit_a_phone_screen() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/check"))
        await bot.app.process_update(command_update(bot.app, "/preview"))
        texts = bot.api.texts()
    for text in texts:
        table = text.split("<pre>")[1].split("</pre>")[0]
        assert max(len(line) for line in table.splitlines()) <= 36


async def test_preview_lists_the_orders_sells_first() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/preview"))
        [text] = bot.api.texts()
    assert text.index("SELL") < text.index("BUY")
    assert "estimated fees" in text
    assert "See /preview" not in text  # that hint belongs to /check only


async def test_rebalance_asks_to_confirm_with_two_buttons_carrying_only_the_plan_id() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/rebalance"))
        [call] = bot.api.of("sendMessage")
    assert bot.facade.called("prepare_rebalance") == [(str(OWNER),)]
    [[confirm, cancel]] = call.params["reply_markup"]["inline_keyboard"]
    assert (confirm["callback_data"], cancel["callback_data"]) == ("c:plan-1", "x:plan-1")
    assert "See /preview" not in call.params["text"]


async def test_a_plan_with_nothing_to_trade_gets_no_buttons() -> None:
    facade = FakeFacade()
    facade.plan = facade.plan.__class__(**{**facade.plan.__dict__, "orders": ()})
    async with offline_bot(facade) as bot:
        await bot.app.process_update(command_update(bot.app, "/rebalance"))
        [call] = bot.api.of("sendMessage")
    assert "reply_markup" not in call.params
    assert "Nothing to confirm" in call.params["text"]


async def test_lock_locks_the_symbol_upper_cased_with_the_reason() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/lock btc staking"))
        [text] = bot.api.texts()
    assert bot.facade.called("lock") == [("BTC", str(OWNER), "staking")]
    assert "BTC</b> is locked" in text


async def test_lock_without_a_symbol_says_so_with_an_example_and_calls_nothing() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/lock"))
        [text] = bot.api.texts()
    assert "Which asset" in text and "Example: /lock BTC" in text
    assert bot.facade.calls == []


async def test_lock_of_an_unknown_symbol_passes_on_the_core_message() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/lock DOGE"))
        [text] = bot.api.texts()
    assert "DOGE is not traded against EUR" in text


async def test_unlock_all_unlocks_everything_and_counts() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/lock BTC"))
        await bot.app.process_update(command_update(bot.app, "/lock ETH"))
        await bot.app.process_update(command_update(bot.app, "/unlock all"))
        await bot.app.process_update(command_update(bot.app, "/locked"))
        texts = bot.api.texts()
    assert "Unlocked 2 assets: BTC, ETH." in texts[2]
    assert "No asset is locked" in texts[3]


async def test_targets_with_a_spec_stores_the_canonical_weights() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/targets btc=50, eth=50"))
        [text] = bot.api.texts()
    assert bot.facade.called("set_targets") == [("BTC=50,ETH=50",)]
    assert "New target weights" in text


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("BTC=50,ETH=40", "sum to 90, not 100"),
        ("BTC=abc,ETH=100", "not a number"),
        ("BTC", "not SYMBOL=NUMBER"),
    ],
)
async def test_bad_targets_get_a_specific_message_with_an_example(spec: str, words: str) -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, f"/targets {spec}"))
        [text] = bot.api.texts()
    assert words in text and "Example: /targets BTC=40" in text
    assert bot.facade.called("set_targets") == []


async def test_history_shows_the_last_runs_and_refuses_a_non_number() -> None:
    facade = FakeFacade(runs=[run_summary(i) for i in range(1, 4)])
    async with offline_bot(facade) as bot:
        await bot.app.process_update(command_update(bot.app, "/history 2"))
        await bot.app.process_update(command_update(bot.app, "/history lots"))
        await bot.app.process_update(command_update(bot.app, "/history -1"))
        shown, refused, negative = bot.api.texts()
    assert "#2" in shown and "#3" in shown and "#1" not in shown
    assert "Last 2 rebalances" in shown and "fees 16.00 EUR" in shown
    assert "not a whole number" in refused and "Example: /history 5" in refused
    assert "-1&#x27; is out of range (1 to 50)" in negative


async def test_stats_sends_a_drift_chart_once_there_are_runs() -> None:
    facade = FakeFacade(runs=[run_summary(i) for i in range(1, 4)])
    async with offline_bot(facade) as bot:
        await bot.app.process_update(command_update(bot.app, "/stats"))
        [text] = bot.api.texts()
        [photo] = bot.api.of("sendPhoto")
    assert "Rebalances: 3" in text
    assert photo.files is not None and photo.files["photo"][0] == "drift.png"


async def test_alerts_off_turns_them_off_for_that_user_only() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/alerts off"))
        await bot.app.process_update(command_update(bot.app, "/alerts", user_id=FRIEND))
        mine, theirs = bot.api.texts()
    assert bot.facade.called("set_alerts") == [(str(OWNER), False)]
    assert "alerts are <b>off</b>" in mine and "alerts are <b>on</b>" in theirs


async def test_an_unknown_command_points_to_help() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/frobnicate now"))
        [text] = bot.api.texts()
    assert "I don't know /frobnicate" in text and "/help" in text


async def test_a_stranger_gets_one_refusal_with_their_id_and_nothing_else_happens() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(command_update(bot.app, "/rebalance", user_id=STRANGER))
        [text] = bot.api.texts()
        methods = [c.method for c in bot.api.calls]
    assert f"<code>{STRANGER}</code>" in text
    assert methods == ["sendMessage"]
    assert bot.facade.calls == []


async def test_a_stranger_pressing_a_button_is_refused_and_no_plan_is_touched() -> None:
    async with offline_bot() as bot:
        await bot.app.process_update(press_update(bot.app, "c:plan-1", user_id=STRANGER))
        [answer] = bot.api.of("answerCallbackQuery")
    assert str(STRANGER) in answer.params["text"]
    assert bot.facade.calls == []
    assert [c.method for c in bot.api.calls] == ["answerCallbackQuery"]


async def test_an_empty_allow_list_lets_nobody_in() -> None:
    async with offline_bot(telegram_allowed_users="") as bot:
        await bot.app.process_update(command_update(bot.app, "/check"))
        [text] = bot.api.texts()
    assert "this bot is private" in text
    assert bot.facade.calls == []


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (AuthenticationError("EAPI:Invalid key"), "check KRAKEN_API_KEY and its permissions"),
        (ExchangeUnavailable("EService:Unavailable"), KRAKEN_DOWN),
        (StorageError("disk I/O error"), "nothing was changed"),
        (RuntimeError("a bug"), UNEXPECTED),
    ],
)
async def test_a_failing_command_gets_a_short_reply_that_says_what_to_do(
    error: Exception, words: str
) -> None:
    async with offline_bot(FakeFacade(failure=error)) as bot:
        await bot.app.process_update(command_update(bot.app, "/check"))
        [text] = bot.api.texts()
    assert words in text
    assert "Traceback" not in text


async def test_the_bot_keeps_answering_after_a_failure() -> None:
    facade = FakeFacade(failure=RuntimeError("boom"))
    async with offline_bot(facade) as bot:
        await bot.app.process_update(command_update(bot.app, "/check"))
        facade.failure = None
        await bot.app.process_update(command_update(bot.app, "/check"))
        texts = bot.api.texts()
    assert UNEXPECTED in texts[0] and "Portfolio check" in texts[1]


async def test_a_very_long_reply_is_split_into_valid_messages() -> None:
    facade = FakeFacade(runs=[run_summary(i) for i in range(1, 51)])
    async with offline_bot(facade) as bot:
        await bot.app.process_update(command_update(bot.app, "/history 50"))
        texts = bot.api.texts()
    assert len(texts) > 1
    for text in texts:
        assert_valid_telegram_html(text)


async def test_each_handled_command_logs_one_line_with_user_and_command_and_no_text() -> None:
    async with offline_bot() as bot:
        with capture_logs() as logs:
            await bot.app.process_update(command_update(bot.app, "/lock BTC secret-reason"))
    [line] = [entry for entry in logs if entry["event"] == "update handled"]
    bound = structlog.contextvars.get_contextvars()
    assert bound["user_id"] == OWNER and bound["command"] == "/lock"
    assert "secret-reason" not in repr(logs) + repr(bound)
    assert line["log_level"] == "info"


async def test_a_press_too_old_to_answer_still_reaches_the_facade() -> None:
    async with offline_bot() as bot:
        bot.api.failing["answerCallbackQuery"] = (400, "Bad Request: query is too old")
        await bot.app.process_update(press_update(bot.app, "c:plan-1"))
        [report] = bot.api.texts()
    assert bot.facade.called("execute") == [("plan-1", str(OWNER))]
    assert "Rebalance done" in report
