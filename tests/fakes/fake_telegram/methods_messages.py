"""Bot API methods that send, edit and delete messages or answer button presses."""

from __future__ import annotations

import copy
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .state import SentPhoto, State, UploadedFile
from .validation import (
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    bad_request,
    formatted_text,
    image_size,
    inline_keyboard,
)

CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip


@dataclass
class ApiCall:
    """One Bot API request as the handlers see it: typed params and uploaded files."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile] = field(default_factory=dict)


Handler = Callable[[State, ApiCall], Awaitable[Any]]


async def send_message(state: State, call: ApiCall) -> Any:
    params = call.params
    chat = state.target_chat(params)
    text, entities = _text(state, params, too_long="message is too long")
    markup = inline_keyboard(params)
    reply_to = _reply_target(state, params)
    message = state.add_message(
        chat,
        state.bot_user,
        text=text,
        entities=entities,
        reply_markup=markup,
        reply_to_message=reply_to,
    )
    state.records.add("sent", copy.deepcopy(message))
    return message


async def edit_message_text(state: State, call: ApiCall) -> Any:
    params = call.params
    message = state.bot_message(params, "edit")
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = _text(state, params, too_long="MESSAGE_TOO_LONG")
    markup = inline_keyboard(params)  # no reply_markup in an edit removes the keyboard
    if (text, entities, markup) == (
        message["text"],
        message.get("entities", []),
        message.get("reply_markup"),
    ):
        raise ApiError(400, NOT_MODIFIED)
    message["text"] = text
    _set_optional(message, entities=entities, reply_markup=markup)
    return _edited(state, message)


async def edit_message_reply_markup(state: State, call: ApiCall) -> Any:
    message = state.bot_message(call.params, "edit")
    markup = inline_keyboard(call.params)
    if markup == message.get("reply_markup"):
        raise ApiError(400, NOT_MODIFIED)
    _set_optional(message, reply_markup=markup)
    return _edited(state, message)


async def delete_message(state: State, call: ApiCall) -> Any:
    message = state.bot_message(call.params, "delete")
    del state.chat(message["chat"]["id"]).messages[message["message_id"]]
    state.records.add("deleted", {"chat_id": message["chat"]["id"], "message": message})
    return True


async def send_photo(state: State, call: ApiCall) -> Any:
    params = call.params
    chat = state.target_chat(params)
    upload = _photo_upload(state, call)
    width, height = image_size(upload.data)
    caption, entities = formatted_text(
        params,
        "caption",
        limit=MAX_CAPTION_LENGTH,
        too_long="message caption is too long",
        strict_ampersand=state.strict_ampersand,
    )
    message = state.add_message(
        chat,
        state.bot_user,
        photo=_photo_sizes(state, upload.data, width, height),
        caption=caption,
        caption_entities=entities,
        reply_markup=inline_keyboard(params),
        reply_to_message=_reply_target(state, params),
    )
    photo = SentPhoto(
        copy.deepcopy(message), upload.data, upload.filename, upload.content_type, caption
    )
    for size in message["photo"]:
        state.photo_files[size["file_id"]] = photo
    state.records.add("photos", photo)
    return message


async def send_chat_action(state: State, call: ApiCall) -> Any:
    chat = state.target_chat(call.params)
    if call.params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    state.records.add("chat_actions", {"chat_id": chat.chat["id"], "action": call.params["action"]})
    return True


async def answer_callback_query(state: State, call: ApiCall) -> Any:
    params = call.params
    query = state.callback_queries.get(str(params.get("callback_query_id") or ""))
    if query is None or query.answered:
        raise ApiError(400, QUERY_TOO_OLD)
    text = str(params.get("text") or "")
    if len(text) > MAX_CALLBACK_ANSWER_LENGTH:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    answer = {
        "callback_query_id": query.id,
        "user_id": query.user_id,
        "chat_id": query.chat_id,
        "message_id": query.message_id,
        "data": query.data,
        "text": text,
        "show_alert": bool(params.get("show_alert")),
        "url": params.get("url"),
        "cache_time": params.get("cache_time", 0),
    }
    state.records.add("callback_answers", answer)
    return True


def _text(state: State, params: dict[str, Any], *, too_long: str) -> tuple[str, list[Any]]:
    text, entities = formatted_text(
        params,
        "text",
        limit=MAX_TEXT_LENGTH,
        too_long=too_long,
        strict_ampersand=state.strict_ampersand,
    )
    if not text:
        raise bad_request("message text is empty")
    return text, entities


def _reply_target(state: State, params: dict[str, Any]) -> dict[str, Any] | None:
    reply = params.get("reply_parameters") or {}
    message_id = reply.get("message_id") or params.get("reply_to_message_id")
    if not message_id:
        return None
    chat = state.chat(int(reply.get("chat_id") or params["chat_id"]))
    target = chat.messages.get(int(message_id))
    if target is None and not reply.get("allow_sending_without_reply"):
        raise bad_request("message to be replied not found")
    return copy.deepcopy({k: v for k, v in (target or {}).items() if k != "reply_to_message"})


def _set_optional(message: dict[str, Any], **values: Any) -> None:
    for key, value in values.items():
        if value:
            message[key] = value
        else:
            message.pop(key, None)


def _edited(state: State, message: dict[str, Any]) -> dict[str, Any]:
    message["edit_date"] = int(time.time())
    state.records.add("edits", copy.deepcopy(message))
    return message


def _photo_upload(state: State, call: ApiCall) -> UploadedFile:
    """The photo's bytes: a multipart upload, ``attach://name``, or a file_id sent before."""
    reference = call.params.get("photo")
    if isinstance(reference, str) and reference.startswith("attach://"):
        upload = call.files.get(reference.removeprefix("attach://"))
    else:
        upload = call.files.get("photo")
    if upload is not None:
        return upload
    if not reference:
        raise bad_request("there is no photo in the request")
    known = state.photo_files.get(str(reference))
    if known is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return UploadedFile("photo", known.filename, known.content_type, known.data)


def _photo_sizes(state: State, data: bytes, width: int, height: int) -> list[dict[str, Any]]:
    """A thumbnail and the full size, as Telegram lists the sizes it made of a photo."""
    number = next(state.ids)
    scale = min(1.0, 90 / max(width, height))
    sizes = [(round(width * scale) or 1, round(height * scale) or 1, "s"), (width, height, "m")]
    return [
        {
            "file_id": f"AgACAgFake{number:06d}{suffix}",
            "file_unique_id": f"AQADFake{number:06d}{suffix}",
            "width": w,
            "height": h,
            "file_size": len(data) if suffix == "m" else min(len(data), 2000),
        }
        for w, h, suffix in sizes
    ]


MESSAGE_METHODS: dict[str, Handler] = {
    "sendmessage": send_message,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "sendphoto": send_photo,
    "sendchataction": send_chat_action,
    "answercallbackquery": answer_callback_query,
}
