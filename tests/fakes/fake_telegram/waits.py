"""Waiting for what the bot does: each wait returns the oldest match no earlier wait returned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .state import ApiRequest, SentPhoto, State


class FakeTelegramTimeout(AssertionError):
    """A ``wait_for_*`` ran out of time; the message lists the bot's last calls."""


class RecordWaits:
    """The ``wait_for_*`` half of ``FakeTelegram``: records are consumed per kind, so waiting
    twice for the same text needs two such messages."""

    state: State

    # ``timeout`` is the public name these waits take (ruff's ASYNC109 prefers asyncio.timeout).

    async def wait_for_message(
        self,
        chat_id: int | None = None,
        contains: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The oldest text message the bot sent that matches and no earlier wait returned."""
        matches = _message_filter(chat_id, None, contains, "text")
        found: dict[str, Any] = await self._wait("sent", matches, timeout, f"message {contains!r}")
        return found

    async def wait_for_edit(
        self,
        chat_id: int | None = None,
        message_id: int | None = None,
        contains: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The oldest edit (message after it) that matches and no earlier wait returned."""
        matches = _message_filter(chat_id, message_id, contains, "text")
        found: dict[str, Any] = await self._wait("edits", matches, timeout, f"edit {contains!r}")
        return found

    async def wait_for_photo(
        self,
        chat_id: int | None = None,
        caption_contains: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> SentPhoto:
        in_chat = _message_filter(chat_id, None, caption_contains, "caption")
        what = f"photo {caption_contains!r}"
        found: SentPhoto = await self._wait("photos", lambda p: in_chat(p.message), timeout, what)
        return found

    async def wait_for_answer(
        self,
        callback_query_id: str | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """The oldest callback answer (to ``callback_query_id`` if given) not yet returned."""
        found: dict[str, Any] = await self._wait(
            "callback_answers",
            lambda answer: callback_query_id in (None, answer["callback_query_id"]),
            timeout,
            f"answer to callback query {callback_query_id}",
        )
        return found

    async def wait_for_request(
        self,
        method: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ApiRequest:
        """The oldest call of ``method`` (case-insensitive) no earlier wait returned."""
        lowered = method.lower()
        what = f"{method} call"
        found: ApiRequest = await self._wait(
            "requests", lambda request: request.method.lower() == lowered, timeout, what
        )
        return found

    async def _wait(
        self, kind: str, matches: Callable[[Any], bool], within: float, what: str
    ) -> Any:
        found = await self.state.records.wait_for(kind, matches, within)
        if found is None:
            calls = [f"{r.method} -> {r.status}" for r in self.state.records.requests[-8:]]
            raise FakeTelegramTimeout(f"no {what} within {within}s; last calls: {calls}")
        return found


def _message_filter(
    chat_id: int | None, message_id: int | None, contains: str | None, field: str
) -> Callable[[dict[str, Any]], bool]:
    def matches(message: dict[str, Any]) -> bool:
        return (
            chat_id in (None, message["chat"]["id"])
            and message_id in (None, message["message_id"])
            and (contains is None or contains in str(message.get(field, "")))
        )

    return matches
