"""/positions, /basis and /stats' monthly figures through the real bot and the fake Bot API;
scheduled checks record the value over time, at most once an hour (on an injected clock)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.telegram.state import BotApp
from tests.e2e.conftest import OWNER, SettingsFactory, bot_running
from tests.fakes.clocks import FakeClock
from tests.fakes.telegram_server import FakeTelegram


async def run_scheduled_check(app: BotApp) -> None:
    assert app.job_queue is not None
    [job] = app.job_queue.get_jobs_by_name("drift")
    await job.run(app)


def samples(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        return int(connection.execute("SELECT count(*) FROM value_samples").fetchone()[0])


async def test_positions_lists_every_holding_estimated_with_totals_and_a_value_chart(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/positions")
        reply = await tg.wait_for_message(OWNER, contains="Positions")
        photo = await tg.wait_for_photo(OWNER)
    text = reply["text"]
    assert "paper mode" in text
    for asset in ("ADA", "BTC", "ETH", "SOL"):
        assert asset in text
    assert "entry 40,000.00* since" in text
    assert text.index("Total 27,500.00 EUR") > text.index("SOL")
    assert "/basis BTC 30000" in text
    assert photo.filename == "value.png" and photo.data.startswith(b"\x89PNG")


async def test_basis_states_a_cost_and_positions_shows_it_unestimated(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/basis BTC 30000")
        said = await tg.wait_for_message(OWNER, contains="opening lot")
        tg.send_user_message(OWNER, "/positions")
        reply = await tg.wait_for_message(OWNER, contains="Positions")
    assert "BTC: the opening lot of 0.5 now costs 30,000.00 each" in said["text"]
    assert "entry 30,000.00 since" in reply["text"]
    assert "unrealized +5,000.00 (+33.3%)" in reply["text"]


async def test_a_bad_basis_gets_a_specific_message_with_an_example(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/basis BTC")
        missing = await tg.wait_for_message(OWNER)
        tg.send_user_message(OWNER, "/basis BTC -3")
        negative = await tg.wait_for_message(OWNER, contains="positive price")
        tg.send_user_message(OWNER, "/basis ZZZ 5")
        unknown = await tg.wait_for_message(OWNER, contains="ZZZ")
    assert "Example: /basis BTC 30000" in missing["text"]
    assert "Example: /basis BTC 30000" in unknown["text"] and "/lock" not in unknown["text"]
    assert "'-3' is not a positive price" in negative["text"]
    assert "Example: /basis BTC 30000" in negative["text"]


async def test_stats_adds_the_months_realized_pnl_and_the_fee_share(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/stats")
        reply = await tg.wait_for_message(OWNER, contains="Statistics")
    assert "Per month: no fills yet." in reply["text"]


async def test_scheduled_checks_sample_the_value_at_most_once_an_hour(
    tg: FakeTelegram, paper_settings: SettingsFactory, db_path: Path
) -> None:
    clock = FakeClock()
    async with bot_running(paper_settings(), clock) as app:
        await run_scheduled_check(app)
        clock.advance(minutes=30)
        await run_scheduled_check(app)
        assert samples(db_path) == 1
        clock.advance(minutes=30)
        await run_scheduled_check(app)
        assert samples(db_path) == 2
