"""The bot's event loop never waits for the database: while one chat's command waits for
a database that another process holds locked, another chat's /help is answered at once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.e2e.conftest import FRIEND, OWNER, SettingsFactory, bot_running
from tests.fakes.telegram_server import FakeTelegram


async def test_help_is_answered_while_another_chats_command_waits_for_the_database(
    tg: FakeTelegram, paper_settings: SettingsFactory, db_path: Path
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/preview")  # warm: the first preview reads the snapshot
        await tg.wait_for_message(OWNER, contains="Rebalance preview", timeout=30)
        locker = sqlite3.connect(db_path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock (< 5 s)
        try:
            tg.send_user_message(OWNER, "/preview")
            tg.send_user_message(FRIEND, "/help")
            await tg.wait_for_message(FRIEND, contains="target weights", timeout=3)
            waiting = [m for m in tg.sent if m["chat"]["id"] == OWNER]
        finally:
            locker.execute("COMMIT")
            locker.close()
        preview = await tg.wait_for_message(OWNER, contains="Rebalance preview", timeout=30)
    assert len(waiting) == 1  # the owner's second preview was still waiting for the lock
    assert preview["message_id"] != waiting[0]["message_id"]
