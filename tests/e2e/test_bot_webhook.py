"""Webhook mode: the bot registers TELEGRAM_WEBHOOK_URL with Telegram's secret_token and takes
updates on the HTTP API's server and port; a request without the right secret header is 403;
going back to polling deletes the webhook. Real bot, fake Bot API, real HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from bot.http.server import ApiServer
from tests.e2e.conftest import OWNER, SettingsFactory, bot_running
from tests.fakes.telegram_server import FakeTelegram
from tests.integration.http_harness import READ, READ_TOKEN

URL = "https://bot.example.com/telegram/hook"
SECRET = "webhook-secret-0123456789abcdef"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_settings(paper_settings: SettingsFactory, **changes: Any) -> Any:
    return paper_settings(
        telegram_webhook_url=URL, telegram_webhook_secret=SECRET, api_port=0, **changes
    )


def calls(tg: FakeTelegram, method: str) -> list[dict[str, Any]]:
    return [r.params for r in tg.requests if r.method.lower() == method.lower()]


def port_of(served: object) -> int:
    assert isinstance(served, ApiServer)
    return served.port


async def test_webhook_mode_registers_the_url_with_its_secret_and_never_polls(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(webhook_settings(paper_settings)):
        (registered,) = calls(tg, "setWebhook")
        webhook = tg.webhook

    assert webhook == (URL, SECRET)
    assert registered["url"] == URL
    assert registered["secret_token"] == SECRET
    assert calls(tg, "getUpdates") == []


async def test_an_update_posted_with_the_secret_is_answered_by_the_bot(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(webhook_settings(paper_settings)) as app:
        update = tg.send_user_message(OWNER, "/start")  # what Telegram would post
        url = f"http://127.0.0.1:{port_of(app.bot_data.served)}/telegram/hook"
        async with httpx.AsyncClient() as client:
            answer = await client.post(url, json=update, headers={HEADER: SECRET})
        reply = await tg.wait_for_message(OWNER, contains="target weights", timeout=30)

    assert answer.status_code == 200
    assert "paper mode" in reply["text"]


async def test_an_update_without_the_right_secret_is_403_and_never_reaches_the_bot(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(webhook_settings(paper_settings)) as app:
        update = tg.send_user_message(OWNER, "/start")
        url = f"http://127.0.0.1:{port_of(app.bot_data.served)}/telegram/hook"
        async with httpx.AsyncClient() as client:
            missing = await client.post(url, json=update)
            wrong = await client.post(url, json=update, headers={HEADER: SECRET + "x"})
            handled = app.update_queue.qsize()

    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert handled == 0
    assert tg.sent == []


async def test_the_api_is_served_on_the_same_port_as_the_webhook(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    settings = webhook_settings(paper_settings, api_token_read=READ_TOKEN)
    async with bot_running(settings) as app:
        base = f"http://127.0.0.1:{port_of(app.bot_data.served)}"
        async with httpx.AsyncClient(base_url=base) as client:
            targets = await client.get("/api/v1/targets", headers=READ)
            no_token = await client.get("/api/v1/targets")

    assert targets.status_code == 200
    assert no_token.status_code == 401


async def test_going_back_to_polling_deletes_the_webhook(
    tg: FakeTelegram, paper_settings: SettingsFactory
) -> None:
    async with bot_running(webhook_settings(paper_settings)):
        pass
    async with bot_running(paper_settings()):
        tg.send_user_message(OWNER, "/start")
        reply = await tg.wait_for_message(OWNER, contains="target weights", timeout=30)

    assert calls(tg, "deleteWebhook")
    assert tg.webhook == ("", "")
    assert "paper mode" in reply["text"]
