"""The core on an event loop of its own, so a front end's loop never waits for the database.

The store is synchronous: a unit of work that waits for SQLite's write lock (another
process writing, a backup, a restore) or PostgreSQL's advisory lock holds whichever loop
runs it for up to the busy timeout. `off_loop(opened)` enters the core (the `Api` that
`open_rebalancer` yields) on a thread running its own event loop and hands the front end a
stand-in: every coroutine method is run there (`CoreLoop.run`, the one place work crosses
over) and awaited from the front end's loop, which stays free to answer other chats.
Coroutine functions passed in (an execution's `progress`) are run back on the caller's
loop, where their Telegram client lives; structlog's context (user, command) goes along.
Plain methods and attributes are the core's own, called where they are called.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar, cast

T = TypeVar("T")


class CoreLoop:
    """A daemon thread running an event loop of its own."""

    def __init__(self, name: str = "core") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def run(self, make: Callable[[], Awaitable[T]]) -> T:
        """`make()` awaited on this loop, in a copy of the caller's context; cancelling the
        caller cancels it."""
        done: concurrent.futures.Future[T] = concurrent.futures.Future()
        tasks: list[asyncio.Future[T]] = []

        def start() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                tasks.append(asyncio.ensure_future(make()))
            except BaseException as e:  # e.g. a TypeError from the call itself
                done.set_exception(e)
                return
            tasks[0].add_done_callback(functools.partial(_settle, done))

        self.loop.call_soon_threadsafe(start, context=contextvars.copy_context())
        try:
            return await asyncio.wrap_future(done)
        except asyncio.CancelledError:
            self.loop.call_soon_threadsafe(lambda: [task.cancel() for task in tasks])
            raise

    async def stop(self) -> None:
        """Cancel what is left on the loop, stop it and wait for the thread to end."""
        await self.run(_cancel_the_rest)
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self._thread.join)
        self.loop.close()


def _settle(done: concurrent.futures.Future[T], task: asyncio.Future[T]) -> None:
    if task.cancelled():
        done.set_exception(asyncio.CancelledError())
    elif (error := task.exception()) is not None:
        done.set_exception(error)
    else:
        done.set_result(task.result())


async def _cancel_the_rest() -> None:
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


class _OnCore:
    """Stands in for the object `target`: its coroutine methods run on `core`."""

    def __init__(self, target: object, core: CoreLoop, caller: asyncio.AbstractEventLoop) -> None:
        self._target, self._core, self._caller = target, core, caller

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._target, name)
        if not inspect.iscoroutinefunction(found):
            return found

        @functools.wraps(found)
        async def on_core(*args: Any, **kwargs: Any) -> Any:
            args = tuple(self._back(a) for a in args)
            kwargs = {key: self._back(value) for key, value in kwargs.items()}
            return await self._core.run(lambda: found(*args, **kwargs))

        return on_core

    def _back(self, value: Any) -> Any:
        """A coroutine function of the caller's, made to run on the caller's loop."""
        if not inspect.iscoroutinefunction(value):
            return value
        caller = self._caller

        async def on_caller(*args: Any, **kwargs: Any) -> Any:
            ran = asyncio.run_coroutine_threadsafe(value(*args, **kwargs), caller)
            return await asyncio.wrap_future(ran)

        return on_caller


@asynccontextmanager
async def off_loop(opened: AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """`opened` entered (and at the end exited) on a core loop of its own; its value, as a
    stand-in whose coroutine methods run there."""
    core = CoreLoop()
    core.start()
    try:
        value = await core.run(opened.__aenter__)
        try:
            yield cast(T, _OnCore(value, core, asyncio.get_running_loop()))
        except BaseException as e:
            exit_with = functools.partial(opened.__aexit__, type(e), e, e.__traceback__)
            if not await core.run(exit_with):
                raise
        else:
            await core.run(lambda: opened.__aexit__(None, None, None))
    finally:
        await core.stop()
