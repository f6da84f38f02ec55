"""The fake Telegram Bot API, driven by the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import json
import struct
import sys
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from tests.fakes.telegram_server import FakeTelegram

TOKEN = "123456:TEST-TOKEN"
USER = 42
REPO_ROOT = Path(__file__).resolve().parents[2]


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "<b>Portfolio</b>: BTC 50% &amp; ETH 50%",
        parse_mode="HTML",
        reply_markup=keyboard("rebalance", "cancel"),
    )


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(f"Got {query.data}")
    await query.edit_message_text(f"You chose {query.data}")


@pytest.fixture
async def app(tg: FakeTelegram) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    builder = ApplicationBuilder().token(TOKEN).base_url(tg.base_url)
    application = builder.base_file_url(tg.base_file_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(button))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


async def test_get_me_returns_the_bot_the_token_names(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username) == (123456, True, "rebalance_test_bot")


async def test_a_wrong_token_is_rejected_as_invalid(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=tg.base_url):  # shuts its client down on failure
            pass


async def test_the_application_starts_with_get_me_delete_webhook_and_get_updates(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    await tg.wait_for_request("getUpdates")

    assert [request.method for request in tg.requests[:3]] == [
        "getMe",
        "deleteWebhook",
        "getUpdates",
    ]


async def test_a_start_command_reaches_the_command_handler_and_its_reply_arrives(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    update = tg.send_user_message(user_id=USER, text="/start")

    reply = await tg.wait_for_message(chat_id=USER, contains="Portfolio")

    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert reply["text"] == "Portfolio: BTC 50% & ETH 50%"
    assert reply["entities"] == [{"offset": 0, "length": 9, "type": "bold"}]
    assert reply["from"]["is_bot"] is True
    buttons = reply["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == ["rebalance", "cancel"]


async def test_a_button_press_reaches_the_callback_handler_which_answers_and_edits(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    tg.send_user_message(USER, "/start")
    menu = await tg.wait_for_message(chat_id=USER, contains="Portfolio")

    update = tg.press_button(USER, menu["message_id"], text="Rebalance")
    answer = await tg.wait_for_answer(update["callback_query"]["id"])
    edit = await tg.wait_for_edit(chat_id=USER, message_id=menu["message_id"])

    assert answer["text"] == "Got rebalance"
    assert edit["text"] == "You chose rebalance"
    now = tg.message(USER, menu["message_id"])
    assert now["text"] == "You chose rebalance"
    assert "reply_markup" not in now  # an edit without reply_markup drops the keyboard


async def test_updates_stay_pending_until_an_offset_confirms_them(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.send_user_message(USER, "one")
    tg.send_user_message(USER, "two")

    first = await bot.get_updates(limit=1)
    again = await bot.get_updates()
    after = await bot.get_updates(offset=again[-1].update_id + 1)

    assert [u.message.text for u in first if u.message] == ["one"]
    assert [u.message.text for u in again if u.message] == ["one", "two"]
    assert after == ()
    assert tg.pending_updates == []


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(tg: FakeTelegram, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.1, tg.send_user_message, USER, "hi")

    updates = await asyncio.wait_for(bot.get_updates(timeout=5), timeout=2)

    assert [u.message.text for u in updates if u.message] == ["hi"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Hi <foo>x</foo>", 'unsupported start tag "foo" at byte offset 3'),
        ("<b>bold", 'can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("AT&T", 'unescaped "&" at byte offset 2'),
        ('<span class="x">s</span>', 'tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
async def test_malformed_html_is_rejected_with_telegrams_reason(
    tg: FakeTelegram, bot: Bot, text: str, reason: str
) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(USER, text, parse_mode="HTML")

    assert (
        tg.requests[-1].error
        == f"Bad Request: can't parse entities: {reason[0].upper()}{reason[1:]}"
    )
    assert reason in str(raised.value).lower()  # PTB lower-cases all but the first letter


async def test_telegram_html_features_parse_into_entities(bot: Bot) -> None:
    html = (
        '<pre><code class="language-python">x = 1</code></pre> <a href="https://k.io">K</a> '
        "<tg-spoiler>s</tg-spoiler> <blockquote expandable>q</blockquote> &lt;&#62;&quot;"
    )

    message = await bot.send_message(USER, html, parse_mode="HTML")

    assert message.text == 'x = 1 K s q <>"'
    kinds = [(e.type, e.offset, e.length, e.language or e.url) for e in message.entities]
    assert kinds == [
        ("pre", 0, 5, "python"),
        ("text_link", 6, 1, "https://k.io"),
        ("spoiler", 8, 1, None),
        ("expandable_blockquote", 10, 1, None),
    ]


async def test_text_over_4096_utf16_units_is_too_long_but_markup_does_not_count(
    tg: FakeTelegram, bot: Bot
) -> None:
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(USER, "😀" * 2048)

    for text in ("x" * 4097, "😀" * 2049):
        with pytest.raises(BadRequest, match="Message is too long"):
            await bot.send_message(USER, text)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "<b> </b>", parse_mode="HTML")
    assert len(tg.sent) == 2


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=keyboard("é" * 32))

    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("é" * 32 + "x"))


async def test_answering_a_callback_query_twice_is_rejected(tg: FakeTelegram, bot: Bot) -> None:
    menu = await bot.send_message(USER, "Pick", reply_markup=keyboard("a"))
    query_id = tg.press_button(USER, menu.message_id, "a")["callback_query"]["id"]

    assert await bot.answer_callback_query(query_id, text="Done") is True
    for unanswerable in (query_id, "123"):
        with pytest.raises(BadRequest, match="Query is too old"):
            await bot.answer_callback_query(unanswerable)
    assert [a["text"] for a in tg.callback_answers] == ["Done"]


async def test_an_edit_that_changes_nothing_or_misses_its_message_is_rejected(
    bot: Bot,
) -> None:
    menu = await bot.send_message(USER, "Same", reply_markup=keyboard("a"))

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Same", USER, menu.message_id, reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("New", USER, 999)
    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.edit_message_text("x" * 4097, USER, menu.message_id)
    edited = await bot.edit_message_reply_markup(USER, menu.message_id, reply_markup=None)
    assert isinstance(edited, type(menu))
    assert edited.reply_markup is None


async def test_send_photo_records_the_png_its_filename_and_caption(
    tg: FakeTelegram, bot: Bot
) -> None:
    image = png(40, 30)

    message = await bot.send_photo(USER, image, caption="Chart", filename="chart.png")

    photo = await tg.wait_for_photo(chat_id=USER, caption_contains="Chart")
    assert (photo.data, photo.filename, photo.content_type) == (image, "chart.png", "image/png")
    assert (message.photo[-1].width, message.photo[-1].height) == (40, 30)
    assert message.caption == "Chart"
    resent = await bot.send_photo(USER, message.photo[-1].file_id)
    assert tg.photos[-1].message["message_id"] == resent.message_id


async def test_send_photo_rejects_what_is_not_an_image_or_has_a_long_caption(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(USER, b"GIF89a not really", filename="x.png")
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, png(), caption="c" * 1025)


async def test_set_my_commands_is_recorded_and_read_back(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("check", "Show the portfolio")])

    assert tg.commands == [{"command": "check", "description": "Show the portfolio"}]
    assert [c.command for c in await bot.get_my_commands()] == ["check"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Check", "upper case is invalid")])


async def test_with_strict_chats_the_bot_reaches_only_users_who_wrote_to_it() -> None:
    async with (
        FakeTelegram(token=TOKEN, strict_chats=True) as tg,
        Bot(TOKEN, base_url=tg.base_url) as bot,
    ):
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(USER, "hello?")
        tg.send_user_message(USER, "/start")
        assert (await bot.send_message(USER, "hello!")).chat.first_name == "Tess"


async def test_a_409_conflict_surfaces_as_conflict(tg: FakeTelegram, bot: Bot) -> None:
    tg.conflict_next_get_updates()

    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await bot.get_updates()
    assert await bot.get_updates() == ()


async def test_a_second_poller_terminates_the_first_with_a_conflict(
    tg: FakeTelegram, bot: Bot
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for_request("getUpdates")

    async with Bot(TOKEN, base_url=tg.base_url) as other:
        assert await other.get_updates() == ()
    with pytest.raises(Conflict):
        await asyncio.wait_for(first, timeout=2)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_429_surfaces_as_retry_after_and_the_next_call_succeeds(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.fail_next("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(USER, "hi")
    assert (await bot.send_message(USER, "hi")).text == "hi"
    assert [r.status for r in tg.requests if r.method == "sendMessage"] == [429, 200]


async def test_a_dropped_connection_and_a_502_surface_as_network_errors(
    tg: FakeTelegram, bot: Bot
) -> None:
    tg.fail_next("sendMessage", "drop")
    tg.fail_next("sendMessage", 502)

    with pytest.raises(NetworkError, match="disconnected"):
        await bot.send_message(USER, "a")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(USER, "b")


async def test_the_server_runs_as_a_process_driven_through_its_control_plane() -> None:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "tests.fakes.telegram_server", "--port", "0", "--token", TOKEN),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = json.loads(await asyncio.wait_for(process.stdout.readline(), timeout=10))["url"]
        async with aiohttp.ClientSession(url) as http, Bot(TOKEN, base_url=f"{url}/bot") as bot:
            await http.post("/_control/send_message", json={"user_id": USER, "text": "/check"})
            updates = await bot.get_updates()
            await bot.send_message(USER, "<i>Portfolio</i>", parse_mode="HTML")
            async with http.get("/_control/wait/message?contains=Portfolio&timeout=2") as found:
                sent = await found.json()
        assert [u.message.text for u in updates if u.message] == ["/check"]
        assert sent["text"] == "Portfolio"
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), timeout=5) == 0
