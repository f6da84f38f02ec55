"""Bot API methods about the bot itself: identity, receiving updates, commands, menu button."""

from __future__ import annotations

import copy
import re
from typing import Any

from .methods_messages import ApiCall, Handler
from .state import State
from .validation import (
    CONFLICT_GET_UPDATES,
    CONFLICT_WEBHOOK,
    ApiError,
    bad_request,
    check_commands,
)

_MENU_BUTTON_TYPES = frozenset({"commands", "web_app", "default"})


async def get_me(state: State, call: ApiCall) -> Any:
    return dict(state.bot_user)


async def get_updates(state: State, call: ApiCall) -> Any:
    """Long polling as Telegram does it: confirm by offset, hold up to ``timeout`` seconds,
    and answer 409 to a request that a newer getUpdates superseded."""
    if state.webhook_url:
        raise ApiError(409, CONFLICT_WEBHOOK)
    params = call.params
    queue = state.updates
    queue.confirm(_int(params, "offset", 0))
    if params.get("allowed_updates") is not None:
        queue.allowed_updates = list(params["allowed_updates"])
    limit = min(max(_int(params, "limit", 100), 1), 100)
    timeout = max(float(params.get("timeout") or 0), 0.0)
    generation = queue.begin_poll()
    await queue.signal.wait_until(
        lambda: queue.poll_generation != generation or state.closing or queue.has_deliverable(),
        timeout,
    )
    if queue.poll_generation != generation:
        raise ApiError(409, CONFLICT_GET_UPDATES)
    return queue.deliverable(limit)


async def delete_webhook(state: State, call: ApiCall) -> Any:
    state.webhook_url = state.webhook_secret = ""
    if call.params.get("drop_pending_updates"):
        state.updates.pending.clear()
    return True


_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram allows as secret_token


async def set_webhook(state: State, call: ApiCall) -> Any:
    url = str(call.params.get("url") or "")
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = str(call.params.get("secret_token") or "")
    if secret and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("bad webhook: secret token contains unallowed characters")
    state.webhook_url, state.webhook_secret = url, secret
    if call.params.get("drop_pending_updates"):
        state.updates.pending.clear()
    return True


async def get_webhook_info(state: State, call: ApiCall) -> Any:
    return {
        "url": state.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(state.updates.pending),
    }


async def set_my_commands(state: State, call: ApiCall) -> Any:
    commands = check_commands(call.params.get("commands", []))
    key = state.command_key(call.params)
    if commands:
        state.commands[key] = commands
    else:
        state.commands.pop(key, None)
    return True


async def get_my_commands(state: State, call: ApiCall) -> Any:
    return copy.deepcopy(state.commands.get(state.command_key(call.params), []))


async def delete_my_commands(state: State, call: ApiCall) -> Any:
    state.commands.pop(state.command_key(call.params), None)
    return True


async def set_chat_menu_button(state: State, call: ApiCall) -> Any:
    button = call.params.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in _MENU_BUTTON_TYPES:
        raise bad_request("can't parse menu button JSON object")
    chat_id = call.params.get("chat_id")
    state.menu_buttons[chat_id if isinstance(chat_id, int) else None] = button
    return True


async def get_chat_menu_button(state: State, call: ApiCall) -> Any:
    chat_id = call.params.get("chat_id")
    chat_key = chat_id if isinstance(chat_id, int) else None
    default = state.menu_buttons.get(None, {"type": "commands"})
    return copy.deepcopy(state.menu_buttons.get(chat_key, default))


async def log_out(state: State, call: ApiCall) -> Any:
    return True


def _int(params: dict[str, Any], name: str, default: int) -> int:
    value = params.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"wrong parameter {name} in request") from None


BOT_METHODS: dict[str, Handler] = {
    "getme": get_me,
    "getupdates": get_updates,
    "deletewebhook": delete_webhook,
    "setwebhook": set_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "setchatmenubutton": set_chat_menu_button,
    "getchatmenubutton": get_chat_menu_button,
    "logout": log_out,
    "close": log_out,
}
