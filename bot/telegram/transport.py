"""Retrying Bot API calls: `RetryAfter` honoured, transient network failures tried again.

PTB's `AIORateLimiter` throttles to Telegram's flood limits and honours `RetryAfter`, but
does not retry network failures and needs the extra `aiolimiter` dependency. This bot
talks to a handful of allow-listed users, one reply at a time, so throttling buys
nothing; what matters is that a reply (an execution report above all) survives a dropped
connection or a 429. This small `BaseRateLimiter` does only that:

* `RetryAfter`: wait what Telegram asked (capped), then send again;
* `NetworkError` (connection refused/reset, 5xx, timeouts) other than `BadRequest`: back off
  and try again, except `answerCallbackQuery`, which may only be answered once;
* everything else (BadRequest, Forbidden, ...): raised at once.

`getUpdates` never comes through here (PTB's updater has its own retry loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter

from core.logs import get_logger

log = get_logger(__name__)

_NOT_REPEATABLE = frozenset({"answerCallbackQuery"})
Result = bool | JSONDict | list[JSONDict]


class RetryingSender(BaseRateLimiter[None]):
    """Sends each Bot API request up to `attempts` times (see the module docstring)."""

    def __init__(self, attempts: int = 4, backoff_s: float = 0.5, max_wait_s: float = 60.0) -> None:
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(  # noqa: PLR0917 (PTB's signature)
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Result:
        for attempt in range(1, self.attempts + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as e:
                wait = min(e._retry_after.total_seconds(), self.max_wait_s)
                if attempt == self.attempts:
                    raise
            except NetworkError as e:
                if not self._repeatable(e, endpoint) or attempt == self.attempts:
                    raise
                wait = self.backoff_s * 2 ** (attempt - 1)
            log.warning(
                "telegram request failed; retrying", method=endpoint, attempt=attempt, wait_s=wait
            )
            await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def _repeatable(error: NetworkError, endpoint: str) -> bool:
        if isinstance(error, BadRequest):
            return False
        return endpoint not in _NOT_REPEATABLE or not isinstance(error, TimedOut)
