"""/rebalance -> [Confirm] / [Cancel] over HTTP, with every refusal path of the issue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.conftest import FRIEND, OWNER, SettingsFactory, bot_running
from tests.fakes.clocks import FakeClock
from tests.fakes.kraken_server import FakeKraken
from tests.fakes.telegram_server import FakeTelegram


async def ask_for_a_plan(tg: FakeTelegram) -> dict[str, Any]:
    """Send /rebalance and return the message that carries the [Confirm] [Cancel] buttons."""
    tg.send_user_message(OWNER, "/rebalance")
    plan = await tg.wait_for_message(OWNER, contains="Confirm")
    buttons = plan["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["✅ Confirm", "✖️ Cancel"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    return plan


def confirm(tg: FakeTelegram, plan: dict[str, Any], user_id: int = OWNER) -> None:
    tg.press_button(user_id, plan["message_id"], text="✅ Confirm", chat_id=OWNER)


async def test_confirm_executes_and_reports_each_fill_fees_and_drift(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        plan = await ask_for_a_plan(tg)
        confirm(tg, plan)
        answer = await tg.wait_for_answer()
        executing = await tg.wait_for_edit(OWNER, plan["message_id"], contains="Executing")
        report = await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=10)
    assert answer["text"] == ""
    assert "reply_markup" not in executing
    assert report["text"].count("✅ ") >= 4  # one line per filled order
    assert "fees" in report["text"] and "Largest drift: 32.7 pp →" in report["text"]
    assert "reply_markup" not in tg.message(OWNER, plan["message_id"])


async def test_a_double_tap_executes_once_and_answers_the_second_tap(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        plan = await ask_for_a_plan(tg)
        confirm(tg, plan)
        confirm(tg, plan)
        await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=10)
        await tg.wait_for_answer()
        second = await tg.wait_for_answer()
        tg.send_user_message(OWNER, "/history")
        history = await tg.wait_for_message(OWNER, contains="Last 1 rebalance")
    assert "already being handled" in second["text"]
    assert "Last 1 rebalance\n" in history["text"]
    assert sum("Rebalance done" in m["text"] for m in tg.sent) == 1


async def test_a_press_by_another_user_is_refused_and_the_owner_can_still_confirm(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings()):
        plan = await ask_for_a_plan(tg)
        confirm(tg, plan, user_id=FRIEND)
        note = await tg.wait_for_answer()
        untouched = tg.message(OWNER, plan["message_id"])  # never shown as executing
        assert (untouched["text"], untouched["reply_markup"]) == (
            plan["text"],
            plan["reply_markup"],
        )
        assert not tg.edits
        confirm(tg, plan, user_id=OWNER)
        assert await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=10)
    assert "only they can" in note["text"]


async def test_an_expired_plan_is_refused_and_places_nothing(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    clock = FakeClock()
    async with bot_running(paper_settings(confirm_ttl_seconds=60), clock):
        plan = await ask_for_a_plan(tg)
        clock.advance(seconds=61)
        confirm(tg, plan)
        edit = await tg.wait_for_edit(OWNER, plan["message_id"], contains="expired")
        tg.send_user_message(OWNER, "/history")
        history = await tg.wait_for_message(OWNER, contains="rebalance")
    assert "reply_markup" not in edit
    assert "No rebalance yet" in history["text"]


async def test_a_press_that_waited_while_the_bot_was_down_obeys_the_plans_expiry(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    settings, clock = paper_settings(confirm_ttl_seconds=60), FakeClock()
    async with bot_running(settings, clock):
        plan = await ask_for_a_plan(tg)
    confirm(tg, plan)  # the bot is down: the press waits at Telegram
    clock.advance(seconds=61)
    async with bot_running(settings, clock):
        edit = await tg.wait_for_edit(OWNER, plan["message_id"], contains="expired")
        tg.send_user_message(OWNER, "/history")
        history = await tg.wait_for_message(OWNER, contains="rebalance")
    assert "Nothing was placed" in edit["text"] or "expired" in edit["text"]
    assert "No rebalance yet" in history["text"]


async def test_cancel_removes_the_buttons_and_a_later_confirm_is_refused(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    def show_old_buttons_again(plan: dict[str, Any]) -> None:
        """A client that still shows the old buttons (a second device) lets them be pressed."""
        tg.state.chats[OWNER].messages[plan["message_id"]]["reply_markup"] = plan["reply_markup"]

    async with bot_running(paper_settings()):
        plan = await ask_for_a_plan(tg)
        tg.press_button(OWNER, plan["message_id"], text="✖️ Cancel")
        cancelled = await tg.wait_for_edit(OWNER, plan["message_id"], contains="Cancelled")
        assert "reply_markup" not in cancelled
        show_old_buttons_again(plan)
        confirm(tg, plan)
        await tg.wait_for_answer()
        assert "already being handled" in (await tg.wait_for_answer())["text"]
    async with bot_running(paper_settings()):  # a restart forgets the bot's own memory
        show_old_buttons_again(plan)
        confirm(tg, plan)
        note = await tg.wait_for_message(OWNER, contains="cancelled")
    assert "⛔" in note["text"]
    assert "reply_markup" not in tg.message(OWNER, plan["message_id"])
    assert not any("Rebalance done" in m["text"] for m in tg.sent)


async def test_a_live_rebalance_fills_on_kraken_and_reports_it(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    async with bot_running(live_settings()):
        plan = await ask_for_a_plan(tg)
        confirm(tg, plan)
        report = await tg.wait_for_message(OWNER, contains="Rebalance", timeout=15)
    assert "live mode" in report["text"] and "fee" in report["text"]
    assert kraken.orders and all(o.status == "closed" for o in kraken.orders)


async def test_prices_that_moved_since_the_plan_refuse_it_and_place_nothing(
    tg: FakeTelegram, kraken: FakeKraken, live_settings: SettingsFactory
) -> None:
    async with bot_running(live_settings()):
        plan = await ask_for_a_plan(tg)
        bid = kraken.quote("XXBTZEUR").bid
        kraken.set_price("XXBTZEUR", bid * Decimal("1.10"))
        confirm(tg, plan)
        edit = await tg.wait_for_edit(
            OWNER, plan["message_id"], contains="Prices moved", timeout=10
        )
    assert "reply_markup" not in edit
    assert kraken.orders == []


async def test_rebalance_offers_nothing_when_no_rebalance_is_due_unless_forced(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(paper_settings(rebalance_cooldown_minutes=0)):
        confirm(tg, await ask_for_a_plan(tg))
        await tg.wait_for_message(OWNER, contains="Rebalance done", timeout=10)

        tg.send_user_message(OWNER, "/rebalance")
        calm = await tg.wait_for_message(OWNER, contains="No rebalance is due")
        assert calm.get("reply_markup") is None
        assert "/rebalance force" in calm["text"]

        tg.send_user_message(OWNER, "/rebalance force")
        forced = await tg.wait_for_message(OWNER, contains="Confirm")
        assert forced["reply_markup"]["inline_keyboard"]
