"""One bot per account, with real `rebalance-bot run` processes on one database: the second
is refused in one line naming the first (host, pid, heartbeat age) and exits 3, the first
keeps answering; once the first has stopped, or its heartbeat is stale, a new one starts."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from structlog.testing import capture_logs

from bot.telegram.app import build_application
from bot.telegram.runner import serve
from core.app.instance import INSTANCE_STALE_SECONDS
from core.app.records import LeaseOwner
from core.store.db import make_engine, upgrade
from core.store.repo import Store
from tests.e2e.conftest import OWNER, SettingsFactory
from tests.e2e.test_bot_process import RUN, bot_environment
from tests.fakes.clocks import FakeClock
from tests.fakes.telegram_server import FakeTelegram

EXIT_INSTANCE_RUNNING = 3


@asynccontextmanager
async def bot_process(
    tg: FakeTelegram, tmp_path: Path, name: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`rebalance-bot run` in `tmp_path`, answering /start; SIGTERM (exit 0) at the end."""
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(RUN), "run", cwd=tmp_path, env=bot_environment(tg, tmp_path), stderr=log
        )
        try:
            tg.send_user_message(OWNER, f"/start {name}")
            await tg.wait_for_message(OWNER, contains="target weights", timeout=90)
            yield process
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0, log_path.read_text()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def run_to_exit(tg: FakeTelegram, tmp_path: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(RUN),
        "run",
        cwd=tmp_path,
        env=bot_environment(tg, tmp_path) | {"LOG_LEVEL": "WARNING"},
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, err.decode()


async def test_a_second_bot_on_the_same_database_is_refused_and_the_first_keeps_answering(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with bot_process(tg, tmp_path, "first") as first:
        code, err = await run_to_exit(tg, tmp_path)
        tg.send_user_message(OWNER, "/help")
        await tg.wait_for_message(OWNER, contains="target weights", timeout=30)
    lines = err.strip().splitlines()
    assert code == EXIT_INSTANCE_RUNNING, err
    assert len(lines) == 1, err
    assert lines[0].startswith(
        "rebalance-bot: another bot instance is running on this database: "
        f"host {socket.gethostname()}, pid {first.pid}, last heartbeat "
    )
    assert "s ago" in lines[0]


async def test_once_the_first_bot_stopped_a_new_one_starts(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    async with bot_process(tg, tmp_path, "first"):
        pass
    async with bot_process(tg, tmp_path, "second"):
        tg.send_user_message(OWNER, "/help")
        await tg.wait_for_message(OWNER, contains="target weights", timeout=30)


async def test_a_bot_recorded_by_another_host_holds_until_its_heartbeat_is_stale(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/db.sqlite"
    upgrade(url)
    beat_at = FakeClock(datetime.now(UTC))  # the other host's heartbeat, by the database clock
    ghost = Store(make_engine(url), clock=beat_at)
    elsewhere = LeaseOwner(host="pi", pid=4242, boot="boot-of-pi", token="token-of-pi")
    assert ghost.claim_instance(elsewhere, INSTANCE_STALE_SECONDS, lambda _owner: False) is None
    code, err = await run_to_exit(tg, tmp_path)
    beat_at.advance(seconds=-(INSTANCE_STALE_SECONDS + 5))
    assert ghost.refresh_instance(elsewhere)  # its last beat, long ago
    ghost.close()
    assert code == EXIT_INSTANCE_RUNNING
    assert "host pi, pid 4242, last heartbeat " in err
    async with bot_process(tg, tmp_path, "successor"):
        pass


async def test_a_bot_whose_database_another_bot_took_over_stops_with_exit_3(
    tg: FakeTelegram, paper_settings: SettingsFactory, db_path: Path
) -> None:
    app = build_application(paper_settings(), alert_first_s=3600)
    serving = asyncio.create_task(serve(app, poll_timeout_s=1))
    tg.send_user_message(OWNER, "/start")
    await tg.wait_for_message(OWNER, contains="target weights", timeout=30)
    usurper = Store(make_engine(f"sqlite:///{db_path}"))
    elsewhere = LeaseOwner(host="pi", pid=4242, boot="boot-of-pi", token="token-of-pi")
    assert usurper.claim_instance(elsewhere, 0, lambda _owner: False) is None  # ours was stale
    usurper.close()
    assert app.job_queue is not None
    [beat] = app.job_queue.get_jobs_by_name("heartbeat")
    with capture_logs() as logs:
        await beat.run(app)
        code = await asyncio.wait_for(serving, 30)
    assert code == EXIT_INSTANCE_RUNNING
    assert any(e["event"].startswith("stopping: another bot instance") for e in logs)
