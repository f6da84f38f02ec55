"""`rebalance-bot run` as a real process; the run loop under a 409 and a SIGTERM mid-execution."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from pathlib import Path

from structlog.testing import capture_logs

from bot.telegram.app import build_application
from bot.telegram.conflict import CONFLICT
from bot.telegram.runner import serve
from tests.e2e.conftest import FRIEND, OWNER, SettingsFactory
from tests.fakes.kraken_server import FakeKraken
from tests.fakes.telegram_server import FakeTelegram

RUN = Path(sys.executable).with_name("rebalance-bot")


def bot_environment(tg: FakeTelegram, tmp_path: Path) -> dict[str, str]:
    inherited = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KRAKEN_", "PAPER_"))
    }
    return inherited | {
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.url,
        "TELEGRAM_ALLOWED_USERS": str(OWNER),
        "TRADING_MODE": "paper",
        "PAPER_MARKET_DATA": "snapshot",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
        "LOG_FORMAT": "json",
    }


async def test_run_answers_start_over_http_and_exits_0_on_sigterm(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    log = (tmp_path / "bot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        str(RUN), "run", cwd=tmp_path, env=bot_environment(tg, tmp_path), stderr=log, stdout=log
    )
    try:
        tg.send_user_message(OWNER, "/start")  # waits at "Telegram" until the bot polls
        reply = await tg.wait_for_message(OWNER, contains="target weights", timeout=90)
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()
    assert "paper mode" in reply["text"]
    assert code == 0, (tmp_path / "bot.log").read_text()


async def test_a_409_conflict_backs_off_logs_one_error_tells_the_users_once_and_keeps_running(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    tg.conflict_next_get_updates(times=3)
    app = build_application(paper_settings(), alert_first_s=3600)
    with capture_logs() as logs:
        running = asyncio.create_task(serve(app, poll_timeout_s=1))
        tg.send_user_message(OWNER, "/help")
        await tg.wait_for_message(OWNER, contains="target weights", timeout=30)
        assert not running.done()
        os.kill(os.getpid(), signal.SIGTERM)
        code = await asyncio.wait_for(running, 30)
    notices = [m["chat"]["id"] for m in tg.sent if "Another program is polling" in m["text"]]
    conflicts = [e["log_level"] for e in logs if e["event"] == CONFLICT]
    polls = [r for r in tg.requests if r.method == "getUpdates"]
    pauses = [later.at - earlier.at for earlier, later in itertools.pairwise(polls[:4])]
    assert sorted(notices) == [OWNER, FRIEND]
    assert conflicts == ["error", "warning", "warning"]
    assert [r.status for r in polls[:4]] == [409, 409, 409, 200]
    assert pauses[0] >= 0.9 and pauses[1] > pauses[0] and pauses[2] > pauses[1]  # backing off
    assert code == 0
    assert CONFLICT == "another instance is polling this bot token (409 Conflict)"


async def test_sigterm_lets_an_execution_in_flight_finish_and_report(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    kraken.latency = 0.15  # every Kraken answer takes a while: the execution is in flight
    app = build_application(live_settings(), alert_first_s=3600)
    running = asyncio.create_task(serve(app, poll_timeout_s=1))
    tg.send_user_message(OWNER, "/rebalance")
    plan = await tg.wait_for_message(OWNER, contains="Confirm", timeout=15)
    tg.press_button(OWNER, plan["message_id"], text="✅ Confirm")
    await tg.wait_for_edit(OWNER, plan["message_id"], contains="Executing", timeout=10)
    assert not running.done()
    os.kill(os.getpid(), signal.SIGTERM)  # serve() handles it: stop polling, finish work
    code = await asyncio.wait_for(running, 30)
    report = await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=1)
    assert code == 0
    assert kraken.orders and all(order.status == "closed" for order in kraken.orders)
    filled = [
        line for line in report["text"].splitlines() if line.startswith(("✅ SELL", "✅ BUY"))
    ]
    assert len(filled) == len(kraken.orders)


async def test_a_start_telegram_refuses_ends_with_one_line_naming_the_setting(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    env = bot_environment(tg, tmp_path) | {"TELEGRAM_BOT_TOKEN": "123:not-the-fakes-token"}
    process = await asyncio.create_subprocess_exec(
        str(RUN), "run", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 90)
    lines = [line for line in err.decode().splitlines() if line.startswith("rebalance-bot:")]
    assert process.returncode == 2
    assert lines == ["rebalance-bot: Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather"]
