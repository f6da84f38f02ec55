"""A restart keeps what the users set: locks, targets and history live in the database."""

from __future__ import annotations

from tests.e2e.conftest import OWNER, SettingsFactory, bot_running
from tests.fakes.telegram_server import FakeTelegram


async def test_a_restart_keeps_locks_targets_and_history(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    settings = paper_settings()
    async with bot_running(settings):
        tg.send_user_message(OWNER, "/lock SOL")
        await tg.wait_for_message(OWNER, contains="is locked")
        tg.send_user_message(OWNER, "/targets BTC=50,ETH=25,SOL=15,ADA=10")
        await tg.wait_for_message(OWNER, contains="New target weights")
        tg.send_user_message(OWNER, "/rebalance")
        plan = await tg.wait_for_message(OWNER, contains="Confirm")
        tg.press_button(OWNER, plan["message_id"], text="✅ Confirm")
        await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=10)
    async with bot_running(settings):
        tg.send_user_message(OWNER, "/locked")
        locked = await tg.wait_for_message(OWNER, contains="Locked")
        tg.send_user_message(OWNER, "/targets")
        targets = await tg.wait_for_message(OWNER, contains="Target weights")
        tg.send_user_message(OWNER, "/history")
        history = await tg.wait_for_message(OWNER, contains="Last 1 rebalance")
    assert "SOL" in locked["text"]
    assert "BTC    50.0%" in targets["text"] and "ETH    25.0%" in targets["text"]
    assert "Last 1 rebalance\n" in history["text"] and "full" in history["text"]
