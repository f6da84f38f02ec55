"""The Api's plain (synchronous) methods read or write the database: `blocking` runs one off
the event loop (`asyncio.to_thread`, with the caller's logging context), so a slow
database never holds up another chat. Its coroutine methods already run on the core's own
loop (`core.off_loop`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def blocking(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`call(*args, **kwargs)` on a worker thread, awaited."""
    return await asyncio.to_thread(call, *args, **kwargs)
