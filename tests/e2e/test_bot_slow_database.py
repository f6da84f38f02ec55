"""The bot's event loop never waits for the database: while one chat's command waits for
a database that another process holds locked, another chat's /help is answered at once.
Both kinds of Api call are covered: a coroutine method (/preview, on the core's own loop)
and a plain one (/locked, on a worker thread)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import FRIEND, OWNER, SettingsFactory, bot_running
from tests.fakes.telegram_server import FakeTelegram


@pytest.mark.parametrize(
    ("command", "answer"), [("/preview", "Rebalance preview"), ("/locked", "No asset is locked")]
)
async def test_help_is_answered_while_another_chats_command_waits_for_the_database(
    tg: FakeTelegram, paper_settings: SettingsFactory, db_path: Path, command: str, answer: str
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, command)  # warm: the first one loads what it needs
        await tg.wait_for_message(OWNER, contains=answer, timeout=30)
        locker = sqlite3.connect(db_path, isolation_level=None)
        locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock (< 5 s)
        try:
            tg.send_user_message(OWNER, command)
            tg.send_user_message(FRIEND, "/help")
            await tg.wait_for_message(FRIEND, contains="target weights", timeout=3)
            waiting = [m for m in tg.sent if m["chat"]["id"] == OWNER]
        finally:
            locker.execute("COMMIT")
            locker.close()
        second = await tg.wait_for_message(OWNER, contains=answer, timeout=30)
    assert len(waiting) == 1  # the owner's second command was still waiting for the lock
    assert second["message_id"] != waiting[0]["message_id"]
