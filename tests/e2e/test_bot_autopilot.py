"""The autopilot end to end: the real bot against the fake Bot API and the fake Kraken, on a
FakeClock. It executes on its own when due and reports, once per band crossing; proposes
with buttons instead when over the cap or paused; in `propose` mode it only proposes."""

from __future__ import annotations

from typing import Any

from bot.telegram.state import BotApp
from tests.e2e.conftest import FRIEND, OWNER, SettingsFactory, bot_running
from tests.fakes.clocks import FakeClock
from tests.fakes.kraken_server import FakeKraken
from tests.fakes.telegram_server import FakeTelegram

AUTO = {"autopilot": "auto", "autopilot_max_trade_value": "20000"}


async def run_scheduled_check(app: BotApp) -> None:
    assert app.job_queue is not None
    [job] = app.job_queue.get_jobs_by_name("drift")
    await job.run(app)


def buttons(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in message["reply_markup"]["inline_keyboard"][0]]


async def test_auto_executes_one_set_of_orders_per_crossing_and_reports_to_every_user(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    clock = FakeClock()
    settings = live_settings(rebalance_to="50%", **AUTO)  # half way: still out of band after
    async with bot_running(settings, clock) as app:
        await run_scheduled_check(app)
        report = await tg.wait_for_message(OWNER, contains="Autopilot rebalance", timeout=10)
        await tg.wait_for_message(FRIEND, contains="Autopilot rebalance")
        placed = len(kraken.orders)
        clock.advance(hours=1)
        await run_scheduled_check(app)  # the same crossing: nothing more
        tg.send_user_message(OWNER, "/history")
        history = await tg.wait_for_message(OWNER, contains="Last 1 rebalance")
    assert placed >= 4 and len(kraken.orders) == placed
    assert "Triggered by" in report["text"] and "Rebalance done" in report["text"]
    assert "fees" in report["text"] and "Largest drift" in report["text"]
    assert "reply_markup" not in report
    assert "autopilot" in history["text"]
    assert sum("Autopilot rebalance" in m["text"] for m in tg.sent) == 2


async def test_a_plan_over_the_cap_is_proposed_and_a_confirm_runs_it(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    settings = live_settings(autopilot="auto", autopilot_max_trade_value="100")
    async with bot_running(settings, FakeClock()) as app:
        await run_scheduled_check(app)
        proposal = await tg.wait_for_message(OWNER, contains="AUTOPILOT_MAX_TRADE_VALUE")
        await tg.wait_for_message(FRIEND, contains="AUTOPILOT_MAX_TRADE_VALUE")
        assert kraken.orders == []
        await run_scheduled_check(app)  # the same crossing: not proposed again
        tg.press_button(OWNER, proposal["message_id"], text="✅ Confirm", chat_id=OWNER)
        await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=10)
    assert buttons(proposal) == ["✅ Confirm", "✖️ Cancel"]
    assert "did not execute it" in proposal["text"]
    assert len(kraken.orders) >= 4
    assert sum("AUTOPILOT_MAX_TRADE_VALUE" in m["text"] for m in tg.sent) == 2


async def test_nothing_is_traded_while_paused_and_the_proposal_says_so(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    async with bot_running(live_settings(**AUTO), FakeClock()) as app:
        tg.send_user_message(OWNER, "/pause")
        await tg.wait_for_message(OWNER, contains="paused")
        await run_scheduled_check(app)
        proposal = await tg.wait_for_message(OWNER, contains="did not execute it")
        tg.send_user_message(OWNER, "/status")
        status = await tg.wait_for_message(OWNER, contains="Next check")
    assert kraken.orders == []
    assert "paused" in proposal["text"] and buttons(proposal) == ["✅ Confirm", "✖️ Cancel"]
    assert "Paused" in status["text"] and "20,000.00 EUR" in status["text"]


async def test_propose_mode_sends_buttons_and_places_nothing(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    async with bot_running(live_settings(autopilot="propose"), FakeClock()) as app:
        await run_scheduled_check(app)
        owner = await tg.wait_for_message(OWNER, contains="Autopilot")
        friend = await tg.wait_for_message(FRIEND, contains="Autopilot")
    assert buttons(owner) == buttons(friend) == ["✅ Confirm", "✖️ Cancel"]
    assert "Confirm to execute it" in owner["text"]
    assert kraken.orders == []


async def test_the_cooldown_holds_the_run_is_told_once_and_the_run_follows_when_it_ends(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    clock = FakeClock()
    settings = live_settings(rebalance_to="50%", rebalance_cooldown_minutes=60, **AUTO)
    async with bot_running(settings, clock) as app:
        tg.send_user_message(OWNER, "/rebalance")  # a manual run starts the cooldown
        plan = await tg.wait_for_message(OWNER, contains="Confirm")
        tg.press_button(OWNER, plan["message_id"], text="✅ Confirm", chat_id=OWNER)
        await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=10)
        manual = len(kraken.orders)
        await run_scheduled_check(app)
        waiting = await tg.wait_for_message(OWNER, contains="Autopilot waiting")
        await run_scheduled_check(app)  # the same wait: not told again
        clock.advance(minutes=61)
        await run_scheduled_check(app)
        await tg.wait_for_message(OWNER, contains="Autopilot rebalance", timeout=10)
    assert "REBALANCE_COOLDOWN_MINUTES" in waiting["text"]
    assert sum("Autopilot waiting" in m["text"] for m in tg.sent) == 2  # once to each user
    assert len(kraken.orders) > manual


async def test_auto_never_trades_on_the_bundled_snapshot(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings(**AUTO), FakeClock()) as app:
        await run_scheduled_check(app)
        proposal = await tg.wait_for_message(OWNER, contains="did not execute it")
        tg.send_user_message(OWNER, "/history")
        history = await tg.wait_for_message(OWNER, contains="No rebalance yet")
    assert "bundled snapshot, not live prices" in proposal["text"]
    assert history
