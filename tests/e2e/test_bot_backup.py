"""Backups beside a running `rebalance-bot run`: the backup is taken while it answers, the
restore is refused while its heartbeat is fresh (exit 3), and goes through once it stopped."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from tests.e2e.conftest import OWNER
from tests.e2e.test_bot_process import RUN, bot_environment
from tests.e2e.test_bot_single_instance import bot_process
from tests.fakes.telegram_server import FakeTelegram


async def cli(tg: FakeTelegram, tmp_path: Path, *argv: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(RUN),
        *argv,
        cwd=tmp_path,
        env=bot_environment(tg, tmp_path) | {"LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode()


def targets_in(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT symbol, weight FROM targets"))


async def test_a_backup_taken_while_the_bot_runs_is_restored_once_it_stopped(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.db"
    async with bot_process(tg, tmp_path, "bot"):
        tg.send_user_message(OWNER, "/targets BTC=50,ETH=50")
        await tg.wait_for_message(OWNER, contains="New target weights", timeout=30)
        backed_up = await cli(tg, tmp_path, "backup", str(backup))
        tg.send_user_message(OWNER, "/targets BTC=20,ETH=80")
        await tg.wait_for_message(OWNER, contains="New target weights", timeout=30)
        refused = await cli(tg, tmp_path, "restore", str(backup))
        tg.send_user_message(OWNER, "/help")
        await tg.wait_for_message(OWNER, contains="target weights", timeout=30)
    restored = await cli(tg, tmp_path, "restore", str(backup))
    assert backed_up[0] == 0, backed_up
    assert targets_in(backup) == {"BTC": "50", "ETH": "50"}
    assert refused[0] == 3, refused
    assert "a bot is running on this database" in refused[1]
    assert restored[0] == 0, restored
    assert targets_in(tmp_path / "db.sqlite") == {"BTC": "50", "ETH": "50"}
