"""A small HTTP control plane, so tests can drive the fake when it runs as its own process.

``POST`` bodies and answers are JSON. Routes (all under ``/_control``):

- ``POST /send_message`` ``{"user_id", "text", "chat_id"?}`` -> the queued update
- ``POST /press_button`` ``{"user_id", "message_id", "data"? | "text"?, "chat_id"?}`` -> update
- ``POST /add_user`` ``{"user_id", "first_name"?, "last_name"?, "username"?}`` -> the user
- ``POST /fail_next`` ``{"method", "status"?, "description"?, "retry_after"?, "times"?}``
- ``POST /conflict_next_get_updates``
- ``GET /sent``, ``/edits``, ``/photos``, ``/callback_answers``, ``/commands``, ``/requests``,
  ``/deleted``, ``/chat_actions``, ``/pending_updates`` -> lists
- ``GET /message?chat_id=&message_id=`` -> the message as it is now (404 if unknown)
- ``GET /wait/{message|edit|photo|answer|request}?chat_id=&message_id=&contains=&method=
  &timeout=`` -> the match (wait semantics as in ``FakeTelegram.wait_for_*``), 408 on timeout
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .state import ApiRequest, SentPhoto

if TYPE_CHECKING:
    from .server import FakeTelegram

_LISTS = (
    "sent", "edits", "photos", "callback_answers", "commands", "requests", "deleted",
    "chat_actions", "pending_updates",
)  # fmt: skip


def add_control_routes(app: web.Application, fake: FakeTelegram) -> None:
    control = _Control(fake)
    app.router.add_post("/_control/send_message", control.send_message)
    app.router.add_post("/_control/press_button", control.press_button)
    app.router.add_post("/_control/add_user", control.add_user)
    app.router.add_post("/_control/fail_next", control.fail_next)
    app.router.add_post("/_control/conflict_next_get_updates", control.conflict)
    app.router.add_get("/_control/message", control.message)
    app.router.add_get("/_control/wait/{kind}", control.wait)
    app.router.add_get("/_control/{name}", control.listing)
    app.middlewares.append(_control_errors)


@web.middleware
async def _control_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A control call with missing or malformed fields gets a 400 that says which."""
    if not request.path.startswith("/_control/"):
        return await handler(request)
    try:
        return await handler(request)
    except (KeyError, TypeError, ValueError) as error:
        return web.json_response({"error": f"bad control request: {error!r}"}, status=400)


def to_json(item: Any) -> Any:
    """Records as JSON: photos carry their bytes as base64, requests their files' metadata."""
    if isinstance(item, SentPhoto):
        data = base64.b64encode(item.data).decode("ascii")
        return {**asdict(item), "data": data, "size": len(item.data)}
    if isinstance(item, ApiRequest):
        files = {
            name: {"filename": f.filename, "size": len(f.data)} for name, f in item.files.items()
        }
        fields = {"method": item.method, "params": item.params, "status": item.status}
        return {**fields, "error": item.error, "client_gone": item.client_gone, "files": files}
    return item


class _Control:
    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake

    async def send_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        update = self.fake.send_user_message(body["user_id"], body["text"], body.get("chat_id"))
        return web.json_response(update)

    async def press_button(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            update = self.fake.press_button(
                body["user_id"],
                body["message_id"],
                body.get("data"),
                text=body.get("text"),
                chat_id=body.get("chat_id"),
            )
        except LookupError as error:
            return web.json_response({"error": str(error)}, status=404)
        return web.json_response(update)

    async def add_user(self, request: web.Request) -> web.Response:
        body = await request.json()
        fields = ("first_name", "last_name", "username", "language_code")
        user = self.fake.add_user(body["user_id"], **{k: body[k] for k in fields if k in body})
        return web.json_response(user)

    async def fail_next(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.fake.fail_next(
            body["method"],
            body.get("status"),
            body.get("description"),
            body.get("retry_after"),
            times=body.get("times", 1),
        )
        return web.json_response({"ok": True})

    async def conflict(self, request: web.Request) -> web.Response:
        self.fake.conflict_next_get_updates()
        return web.json_response({"ok": True})

    async def listing(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in _LISTS:
            return web.json_response({"error": f"unknown listing {name!r}"}, status=404)
        return web.json_response([to_json(item) for item in getattr(self.fake, name)])

    async def message(self, request: web.Request) -> web.Response:
        try:
            chat_id, message_id = int(request.query["chat_id"]), int(request.query["message_id"])
            return web.json_response(self.fake.message(chat_id, message_id))
        except (KeyError, ValueError):
            return web.json_response({"error": "no such message"}, status=404)

    async def wait(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        if kind not in ("message", "edit", "photo", "answer", "request"):
            return web.json_response({"error": f"unknown wait {kind!r}"}, status=404)
        try:
            return web.json_response(to_json(await self._wait(kind, request.query)))
        except AssertionError as error:
            return web.json_response({"error": str(error)}, status=408)

    async def _wait(self, kind: str, query: Mapping[str, str]) -> Any:
        timeout = float(query.get("timeout", "5"))
        chat_id = int(query["chat_id"]) if "chat_id" in query else None
        contains = query.get("contains")
        if kind == "message":
            return await self.fake.wait_for_message(chat_id, contains, timeout=timeout)
        if kind == "edit":
            message_id = int(query["message_id"]) if "message_id" in query else None
            return await self.fake.wait_for_edit(chat_id, message_id, contains, timeout=timeout)
        if kind == "photo":
            return await self.fake.wait_for_photo(chat_id, contains, timeout=timeout)
        if kind == "answer":
            return await self.fake.wait_for_answer(query.get("id"), timeout=timeout)
        return await self.fake.wait_for_request(query["method"], timeout=timeout)
