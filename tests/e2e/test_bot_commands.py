"""The bot over HTTP: commands, menu, charts, authorization, outages."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    OWNER,
    STRANGER,
    SettingsFactory,
    bot_running,
    db_dump,
)
from tests.fakes.kraken_server import FakeKraken
from tests.fakes.telegram_server import FakeTelegram


async def test_start_tells_what_the_bot_does_and_the_menu_lists_the_commands(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/start")
        reply = await tg.wait_for_message(OWNER)
    assert "target weights" in reply["text"] and "paper mode" in reply["text"]
    names = {c["command"] for c in tg.commands}
    assert {"start", "help", "check", "preview", "rebalance", "lock", "unlock"} <= names
    assert {"locked", "targets", "stats", "history", "alerts"} <= names


async def test_check_sends_the_table_and_a_png_of_weights(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/check")
        text = await tg.wait_for_message(OWNER, contains="Portfolio check")
        photo = await tg.wait_for_photo(OWNER)
    assert "BTC" in text["text"] and "Rebalance due" in text["text"]
    assert any(e["type"] == "pre" for e in text["entities"])
    assert photo.filename is not None and photo.filename.endswith(".png")
    assert photo.data.startswith(b"\x89PNG")


async def test_preview_shows_the_orders(tg: FakeTelegram, paper_settings: SettingsFactory) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/preview")
        reply = await tg.wait_for_message(OWNER, contains="Rebalance preview")
    assert "SELL" in reply["text"] and "BUY" in reply["text"]


async def test_an_unknown_command_gets_a_help_hint(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/moon")
        reply = await tg.wait_for_message(OWNER)
    assert "I don't know /moon" in reply["text"] and "/help" in reply["text"]


async def test_bad_arguments_get_a_specific_message_with_an_example(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/targets BTC=70,ETH=20")
        reply = await tg.wait_for_message(OWNER)
    assert "sum to 90, not 100" in reply["text"]
    assert "Example: /targets BTC=40,ETH=30,SOL=20,ADA=10" in reply["text"]


async def test_an_unknown_user_is_refused_with_their_id_and_causes_no_exchange_request(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory, db_path: Path
) -> None:
    async with bot_running(live_settings()):
        requests_before, rows_before = len(kraken.requests), db_dump(db_path)
        for command in ("/check", "/rebalance", "/lock BTC", "/targets BTC=100", "/alerts off"):
            tg.send_user_message(STRANGER, command)
            reply = await tg.wait_for_message(STRANGER)
            assert f"Your Telegram user id is {STRANGER}" in reply["text"]
        await asyncio.sleep(0.2)
        assert len(kraken.requests) == requests_before
        assert db_dump(db_path) == rows_before
        assert len(tg.sent) == 5


async def test_an_exchange_outage_gets_a_clear_reply_and_the_bot_keeps_going(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    async with bot_running(live_settings()):
        kraken.fail_next("BalanceEx", "EService:Unavailable", times=10)
        tg.send_user_message(OWNER, "/check")
        reply = await tg.wait_for_message(OWNER, timeout=15)
        assert "Kraken is unavailable right now; try again in a minute" in reply["text"]
        kraken.clear_faults()
        tg.send_user_message(OWNER, "/start")
        assert await tg.wait_for_message(OWNER, contains="target weights")


async def test_a_rejected_api_key_says_which_setting_to_check(
    tg: FakeTelegram, live_settings: SettingsFactory
) -> None:
    settings = live_settings(kraken_api_key="WRONG-KEY")
    async with bot_running(settings):
        tg.send_user_message(OWNER, "/check")
        reply = await tg.wait_for_message(OWNER, timeout=10)
    assert "Kraken rejected the API key: check KRAKEN_API_KEY" in reply["text"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own init
async def test_replies_survive_telegram_flood_control(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        tg.send_user_message(OWNER, "/start")
        reply = await tg.wait_for_message(OWNER, timeout=6)
    assert "target weights" in reply["text"]
    statuses = [r.status for r in tg.requests if r.method.lower() == "sendmessage"]
    assert statuses[:2] == [429, 200]
