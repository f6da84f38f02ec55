"""``FakeTelegram``: a Bot API server the real python-telegram-bot talks to, and its test API."""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import web

from .control import add_control_routes
from .http_api import MAX_REQUEST_BYTES, BotApiEndpoint, Failure, FailurePlan, envelope
from .state import ApiRequest, FakeUser, SentPhoto, State
from .users import button_press, user_message
from .validation import CONFLICT_GET_UPDATES
from .waits import RecordWaits

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly_0123456789abcd"


class FakeTelegram(RecordWaits):
    """A fake Telegram Bot API on ``127.0.0.1``; use as ``async with FakeTelegram() as tg``.

    Point the bot at it with ``ApplicationBuilder().token(tg.token).base_url(tg.base_url)
    .base_file_url(tg.base_file_url)``. Test code plays the users (``send_user_message``,
    ``press_button``), reads what the bot did (``sent``, ``edits``, ``photos``, ...), waits for
    it (``wait_for_*``) and injects failures (``fail_next``, ``conflict_next_get_updates``).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_first_name: str = "Rebalance Bot",
        bot_username: str = "rebalance_test_bot",
        strict_ampersand: bool = True,
        strict_chats: bool = False,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        prefix = token.split(":", 1)[0]
        bot_user = {
            "id": int(prefix) if prefix.isdigit() else 1000,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.state = State(bot_user, strict_ampersand=strict_ampersand, strict_chats=strict_chats)
        self.failures = FailurePlan()
        self.url = ""
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        endpoint = BotApiEndpoint(self.state, self.token, self.failures)
        app.router.add_route("*", "/bot{token}/{method}", endpoint.handle)
        add_control_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", _not_found)
        return app

    async def start(self) -> Self:
        """Listen (again: ``stop()`` then ``start()`` keeps state and port, like an outage)."""
        self.state.closing = False
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        host, port = self._runner.addresses[0][:2]
        self.port = port
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self.state.closing = True  # long polls return at once instead of holding shutdown up
        self.state.updates.signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- playing the users ----------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str = "Tess",
        last_name: str | None = "Tester",
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Name a user before their first message; unknown users are made up on first use."""
        user = FakeUser(user_id, first_name, last_name, username, language_code)
        self.state.users[user_id] = user
        return user.to_dict()

    def send_user_message(
        self, user_id: int, text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Queue a Message update from the user (to the private chat unless ``chat_id``);
        a leading ``/command`` carries a bot_command entity, as real clients send it."""
        return user_message(self.state, user_id, text, chat_id)

    def press_button(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a CallbackQuery for an inline button (found by ``data`` and/or its label
        ``text``) on a message in the chat; LookupError when the message shows no such button."""
        return button_press(self.state, user_id, message_id, chat_id=chat_id, data=data, text=text)

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any other update, e.g. ``push_update("my_chat_member", {...})``."""
        return self.state.updates.push(kind, payload)

    # -- what the bot did -----------------------------------------------------------------

    @property
    def webhook(self) -> tuple[str, str]:
        """The webhook registered now (url, secret_token); ("", "") while polling."""
        return self.state.webhook_url, self.state.webhook_secret

    @property
    def requests(self) -> list[ApiRequest]:
        return self.state.records.requests

    @property
    def sent(self) -> list[dict[str, Any]]:
        return self.state.records.sent

    @property
    def edits(self) -> list[dict[str, Any]]:
        return self.state.records.edits

    @property
    def photos(self) -> list[SentPhoto]:
        return self.state.records.photos

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        return self.state.records.callback_answers

    @property
    def deleted(self) -> list[dict[str, Any]]:
        return self.state.records.deleted

    @property
    def chat_actions(self) -> list[dict[str, Any]]:
        return self.state.records.chat_actions

    @property
    def commands(self) -> list[dict[str, str]]:
        """The default-scope, all-languages command list the bot set."""
        return self.state.commands.get(self.state.command_key({}), [])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return copy.deepcopy(self.state.updates.pending)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """The message as it is now (edits applied); KeyError if absent or deleted."""
        return copy.deepcopy(self.state.chats[chat_id].messages[message_id])

    # -- failure injection ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int | Literal["drop"] | None = None,
        description: str | None = None,
        retry_after: int | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail: an error envelope with ``status``
        (429 with ``parameters.retry_after`` when ``retry_after`` is given, else 500 by
        default), or ``status="drop"`` to close the connection without any answer."""
        if status is None:
            status = 429 if retry_after is not None else 500
        self.failures.add(method, Failure(status, description, retry_after), times)

    def conflict_next_get_updates(self, times: int = 1) -> None:
        """The next ``times`` getUpdates answer 409, as when another instance polls the same
        token."""
        self.fail_next("getUpdates", 409, CONFLICT_GET_UPDATES, times=times)


async def _not_found(request: web.Request) -> web.Response:
    return envelope(404, {"ok": False, "error_code": 404, "description": "Not Found"})
