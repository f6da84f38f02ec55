"""`core.off_loop`: the core's coroutines run on a loop of its own, errors and the caller's
context go along, callbacks come back to the caller's loop, and a blocked core loop leaves
the caller's loop free."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from core.off_loop import off_loop

WHO = contextvars.ContextVar("who", default="nobody")


class Core:
    def __init__(self) -> None:
        self.closed_on: str | None = None

    async def where(self) -> tuple[str, str]:
        return threading.current_thread().name, WHO.get()

    async def fail(self) -> None:
        raise ValueError("core said no")

    async def block(self, seconds: float) -> None:
        time.sleep(seconds)  # noqa: ASYNC251 - deliberately blocking, as a locked database is

    async def report(self, tell: Callable[[str], Awaitable[str]]) -> str:
        return await tell("done")

    def plain(self) -> str:
        return threading.current_thread().name


@asynccontextmanager
async def opened(core: Core) -> AsyncIterator[Core]:
    yield core
    core.closed_on = threading.current_thread().name


async def test_coroutine_methods_run_on_the_core_thread_with_the_callers_context() -> None:
    WHO.set("user-111")
    async with off_loop(opened(Core())) as core:
        assert await core.where() == ("core", "user-111")
        assert core.plain() == threading.current_thread().name


async def test_an_error_in_the_core_reaches_the_caller_as_it_was() -> None:
    async with off_loop(opened(Core())) as core:
        with pytest.raises(ValueError, match="core said no"):
            await core.fail()


async def test_a_callback_runs_back_on_the_callers_thread() -> None:
    seen: list[str] = []

    async def tell(text: str) -> str:
        seen.append(threading.current_thread().name)
        return text.upper()

    async with off_loop(opened(Core())) as core:
        assert await core.report(tell) == "DONE"
    assert seen == [threading.current_thread().name]


async def test_the_callers_loop_runs_on_while_the_core_is_blocked() -> None:
    async with off_loop(opened(Core())) as core:
        blocked = asyncio.create_task(core.block(0.5))
        started = time.monotonic()
        await asyncio.sleep(0.01)
        assert time.monotonic() - started < 0.25 and not blocked.done()
        await blocked


async def test_the_core_is_closed_on_its_own_thread() -> None:
    target = Core()
    async with off_loop(opened(target)):
        pass
    assert target.closed_on == "core"


async def test_a_call_that_fails_before_it_starts_fails_the_caller_instead_of_hanging() -> None:
    async with off_loop(opened(Core())) as core:
        with pytest.raises(TypeError):
            await asyncio.wait_for(core.where("unexpected"), 5)
