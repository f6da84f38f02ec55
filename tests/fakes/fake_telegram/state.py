"""What the fake Telegram knows: users, chats and their messages, pending updates, records."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .validation import ApiError, bad_request

# Updates Telegram leaves out when allowed_updates is empty (the default).
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Signal:
    """Wakes every coroutine waiting for a change. ``fire`` is synchronous, so test code can
    call it without awaiting; it must run on the event loop the waiters use."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, ready: Callable[[], bool], within: float) -> bool:
        """Wait until ``ready()`` holds (checked after every fire); False when time runs out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not ready():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
        return True


@dataclass
class FakeUser:
    id: int
    first_name: str = "Tess"
    last_name: str | None = "Tester"
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        user.update({key: value for key, value in optional.items() if value is not None})
        return user


@dataclass
class ChatState:
    chat: dict[str, Any]
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    last_message_id: int = 0


@dataclass
class UploadedFile:
    """One file of a multipart request."""

    field: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass
class ApiRequest:
    """One call the bot made: ``status`` is the HTTP status the fake answered (0 = dropped,
    None = not answered yet), ``error`` the description of a failed call, verbatim, and
    ``client_gone`` tells that the client had hung up before the answer (e.g. the long poll a
    stopping PTB Updater abandons, which the next getUpdates then ends with a 409)."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None
    error: str | None = None
    client_gone: bool = False
    at: float = field(default_factory=time.time)


@dataclass
class SentPhoto:
    """A photo the bot sent: the message as returned, the uploaded bytes and their name."""

    message: dict[str, Any]
    data: bytes
    filename: str | None
    content_type: str
    caption: str


@dataclass
class CallbackQueryState:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


class UpdateQueue:
    """Telegram's pending updates: kept until a getUpdates ``offset`` confirms them."""

    def __init__(self) -> None:
        self.pending: list[dict[str, Any]] = []
        self.allowed_updates: list[str] = []
        self.poll_generation = 0
        self.signal = Signal()
        self._ids = itertools.count(100_000_001)

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._ids), kind: payload}
        self.pending.append(update)
        self.signal.fire()
        return copy.deepcopy(update)

    def confirm(self, offset: int) -> None:
        """Forget what ``offset`` confirms: ids below a positive offset, all but the last -N."""
        if offset > 0:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        elif offset < 0:
            self.pending = self.pending[offset:]

    def deliverable(self, limit: int) -> list[dict[str, Any]]:
        """The next ``limit`` updates; unwanted kinds are dropped like Telegram drops them."""
        self.pending = [u for u in self.pending if self._allowed(u)]
        return copy.deepcopy(self.pending[:limit])

    def has_deliverable(self) -> bool:
        return any(self._allowed(update) for update in self.pending)

    def begin_poll(self) -> int:
        """A new getUpdates call: the one still waiting, if any, loses (409 Conflict)."""
        self.poll_generation += 1
        self.signal.fire()
        return self.poll_generation

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _OPT_IN_UPDATES


@dataclass
class Records:
    """Everything the bot did, in order; ``signal`` fires on every addition."""

    requests: list[ApiRequest] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    photos: list[SentPhoto] = field(default_factory=list)
    callback_answers: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    chat_actions: list[dict[str, Any]] = field(default_factory=list)
    signal: Signal = field(default_factory=Signal)
    _consumed: dict[str, set[int]] = field(default_factory=dict)

    def add(self, kind: str, item: Any) -> None:
        getattr(self, kind).append(item)
        self.signal.fire()

    async def wait_for(self, kind: str, matches: Callable[[Any], bool], within: float) -> Any:
        """The oldest matching ``kind`` record no earlier wait returned; None on timeout."""
        consumed = self._consumed.setdefault(kind, set())
        found: list[int] = []

        def ready() -> bool:
            items: list[Any] = getattr(self, kind)
            found[:] = [i for i, item in enumerate(items) if i not in consumed and matches(item)]
            return bool(found)

        if not await self.signal.wait_until(ready, within):
            return None
        consumed.add(found[0])
        return getattr(self, kind)[found[0]]


@dataclass
class State:
    """Shared by the Bot API handlers and the test-side API."""

    bot_user: dict[str, Any]
    strict_ampersand: bool = True
    strict_chats: bool = False
    users: dict[int, FakeUser] = field(default_factory=dict)
    chats: dict[int, ChatState] = field(default_factory=dict)
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    records: Records = field(default_factory=Records)
    callback_queries: dict[str, CallbackQueryState] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    photo_files: dict[str, SentPhoto] = field(default_factory=dict)
    webhook_url: str = ""
    webhook_secret: str = ""  # the secret_token setWebhook registered
    closing: bool = False
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def user(self, user_id: int) -> FakeUser:
        if user_id not in self.users:
            self.users[user_id] = FakeUser(id=user_id, username=f"user{user_id}")
        return self.users[user_id]

    def chat(self, chat_id: int) -> ChatState:
        """The chat, created on first use: a private chat for a user id, else a group."""
        if chat_id not in self.chats:
            if chat_id > 0:
                user = self.user(chat_id).to_dict()
                names: dict[str, Any] = {
                    k: user[k] for k in ("first_name", "last_name", "username") if k in user
                }
                chat: dict[str, Any] = {"id": chat_id, "type": "private", **names}
            else:
                chat = {"id": chat_id, "type": "group", "title": f"Group {-chat_id}"}
            self.chats[chat_id] = ChatState(chat=chat)
        return self.chats[chat_id]

    def target_chat(self, params: dict[str, Any]) -> ChatState:
        """The chat a Bot API call addresses, or Telegram's error for a missing/unknown one."""
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or (self.strict_chats and chat_id not in self.chats):
            raise bad_request("chat not found")
        return self.chat(chat_id)

    def add_message(
        self, chat: ChatState, sender: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        chat.last_message_id += 1
        message = {
            "message_id": chat.last_message_id,
            "from": sender,
            "chat": chat.chat,
            "date": int(time.time()),
            **{key: value for key, value in content.items() if value not in (None, [], "")},
        }
        chat.messages[message["message_id"]] = message
        return message

    def bot_message(self, params: dict[str, Any], verb: str) -> dict[str, Any]:
        """The bot's own message that ``params`` point at, for ``verb`` ("edit"/"delete")."""
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.target_chat(params)
        message = chat.messages.get(params.get("message_id"))  # type: ignore[arg-type]
        if message is None:
            raise bad_request(f"message to {verb} not found")
        if verb == "edit" and message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    def command_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")
