"""Scheduled drift alerts through the real facade: once per user with alerts on."""

from __future__ import annotations

import asyncio

from bot.telegram.state import BotApp
from tests.e2e.conftest import FRIEND, OWNER, SettingsFactory, bot_running
from tests.fakes.kraken_server import FakeKraken
from tests.fakes.telegram_server import FakeTelegram


async def run_scheduled_check(app: BotApp) -> None:
    assert app.job_queue is not None
    [job] = app.job_queue.get_jobs_by_name("drift")
    await job.run(app)


async def test_a_due_rebalance_alerts_each_subscribed_user_once(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()) as app:
        tg.send_user_message(FRIEND, "/alerts off")
        await tg.wait_for_message(FRIEND, contains="alerts are")
        await run_scheduled_check(app)
        alert = await tg.wait_for_message(OWNER, contains="Rebalance due")
        await run_scheduled_check(app)  # still due: not repeated
        await asyncio.sleep(0.2)
    assert "/rebalance" in alert["text"] and "BTC" in alert["text"]
    assert sum("Rebalance due" in m["text"] for m in tg.sent) == 1


async def test_failing_scheduled_checks_are_told_to_the_users_once(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    async with bot_running(live_settings()) as app:
        kraken.fail_next("*", "EAPI:Invalid key", times=1000)  # not retried: a quick failure
        for _ in range(4):
            await run_scheduled_check(app)
        notices = [m for m in tg.sent if "keep failing" in m["text"]]
    assert sorted(m["chat"]["id"] for m in notices) == [OWNER, FRIEND]
    assert all("Kraken rejected the API key" in m["text"] for m in notices)
