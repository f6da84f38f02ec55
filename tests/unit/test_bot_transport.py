"""Retrying Bot API calls: RetryAfter honoured, network failures retried, the rest raised."""

from __future__ import annotations

from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.telegram.transport import RetryingSender


class Flaky:
    """A Bot API call that fails with the given errors first, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return True


async def send(sender: RetryingSender, call: Flaky, endpoint: str = "sendMessage") -> object:
    return await sender.process_request(call, (), {}, endpoint, {}, None)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own init
async def test_retry_after_is_honoured_then_the_message_goes_out() -> None:
    call = Flaky(RetryAfter(0))
    assert await send(RetryingSender(backoff_s=0), call) is True
    assert call.calls == 2


async def test_network_failures_are_retried_with_backoff() -> None:
    call = Flaky(NetworkError("connection reset"), TimedOut())
    assert await send(RetryingSender(backoff_s=0), call) is True
    assert call.calls == 3


async def test_retries_stop_after_the_last_attempt() -> None:
    call = Flaky(*[NetworkError("down")] * 5)
    with pytest.raises(NetworkError):
        await send(RetryingSender(attempts=3, backoff_s=0), call)
    assert call.calls == 3


@pytest.mark.parametrize("error", [BadRequest("can't parse entities"), Forbidden("blocked")])
async def test_refusals_are_never_retried(error: Exception) -> None:
    call = Flaky(error)
    with pytest.raises(type(error)):
        await send(RetryingSender(backoff_s=0), call)
    assert call.calls == 1


async def test_a_timed_out_callback_answer_is_not_sent_twice() -> None:
    call = Flaky(TimedOut())
    with pytest.raises(TimedOut):
        await send(RetryingSender(backoff_s=0), call, "answerCallbackQuery")
    assert call.calls == 1
