"""The user side: the updates a person produces by writing to the bot or pressing its buttons."""

from __future__ import annotations

import copy
import itertools
import re
from typing import Any

from .state import CallbackQueryState, State

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(@[A-Za-z0-9_]{3,32})?")
_QUERY_IDS = itertools.count(4_242_000_000_000_000_001)


def user_message(state: State, user_id: int, text: str, chat_id: int | None) -> dict[str, Any]:
    """Queue a Message update; a leading ``/command`` gets its bot_command entity."""
    chat = state.chat(user_id if chat_id is None else chat_id)
    command = _COMMAND.match(text)
    entities = [{"type": "bot_command", "offset": 0, "length": command.end()}] if command else []
    sender = state.user(user_id).to_dict()
    message = state.add_message(chat, sender, text=text, entities=entities)
    return state.updates.push("message", copy.deepcopy(message))


def button_press(
    state: State,
    user_id: int,
    message_id: int,
    *,
    chat_id: int | None,
    data: str | None,
    text: str | None,
) -> dict[str, Any]:
    """Queue a CallbackQuery update for a button the message shows (LookupError if none)."""
    chat = state.chat(user_id if chat_id is None else chat_id)
    message = chat.messages.get(message_id)
    if message is None:
        raise LookupError(f"no message {message_id} in chat {chat.chat['id']}")
    button = find_button(message, data, text)
    query = CallbackQueryState(
        str(next(_QUERY_IDS)), user_id, chat.chat["id"], message_id, button["callback_data"]
    )
    state.callback_queries[query.id] = query
    payload = {
        "id": query.id,
        "from": state.user(user_id).to_dict(),
        "message": copy.deepcopy(message),
        "chat_instance": str(-abs(query.chat_id) * 1000 - 42),
        "data": query.data,
    }
    return state.updates.push("callback_query", payload)


def find_button(message: dict[str, Any], data: str | None, text: str | None) -> dict[str, Any]:
    """The first callback button matching ``data`` and/or its label ``text``."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    buttons: list[dict[str, Any]] = [b for row in rows for b in row if "callback_data" in b]
    for button in buttons:
        if data in (None, button["callback_data"]) and text in (None, button["text"]):
            return button
    shown = [(button["text"], button["callback_data"]) for button in buttons]
    raise LookupError(f"message {message['message_id']} has no button {data or text!r}: {shown}")
