"""Arbitrary text after every command, through the real Application: always one clear reply."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.telegram.app import COMMANDS
from bot.telegram.messages import UNEXPECTED
from tests.unit.test_bot_fakes import (
    OfflineBot,
    assert_valid_telegram_html,
    command_update,
    offline_bot,
)

# /check always draws a chart (slow to repeat hundreds of times); it takes no arguments.
NAMES = sorted({c.name for c in COMMANDS} - {"check"})
arguments = st.one_of(
    st.text(max_size=120),
    st.lists(st.from_regex(r"[A-Za-z]{1,4}=[0-9.]{1,5}", fullmatch=True), max_size=5).map(",".join),
    st.sampled_from(["on", "off", "all", "BTC", "doge", "0", "51", "<b>", "&amp;", "A=100"]),
)


class LoopBot:
    """An offline bot living on its own event loop across hypothesis examples."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._context: AbstractAsyncContextManager[OfflineBot] = offline_bot()
        self.bot = self.loop.run_until_complete(self._context.__aenter__())

    def send(self, text: str) -> list[str]:
        self.bot.api.clear()
        update = command_update(self.bot.app, text)
        self.loop.run_until_complete(self.bot.app.process_update(update))
        return self.bot.api.texts()

    def close(self) -> None:
        self.loop.run_until_complete(self._context.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture(scope="module")
def loop_bot() -> Iterator[LoopBot]:
    bot = LoopBot()
    yield bot
    bot.close()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(NAMES), args=arguments)
def test_every_command_with_any_arguments_gets_one_clear_reply(
    loop_bot: LoopBot, name: str, args: str
) -> None:
    replies = loop_bot.send(f"/{name} {args}")
    assert replies, f"no reply to /{name} {args!r}"
    for text in replies:
        assert_valid_telegram_html(text)
        assert UNEXPECTED not in text, f"/{name} {args!r} hit an unexpected error"


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=200))
def test_any_text_message_gets_a_pointer_to_help(loop_bot: LoopBot, text: str) -> None:
    replies = loop_bot.send(text)
    assert replies
    for reply in replies:
        assert_valid_telegram_html(reply)
        assert UNEXPECTED not in reply
