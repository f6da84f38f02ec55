"""The fake Kraken and Telegram servers, each run as its own process and driven by /_control.

A subprocess is closest to reality: the server's work never runs on the measured client's
event loop or core. Each server prints one JSON line once it listens; everything else it
writes is drained and discarded.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.harness import ROOT, child_env, python_module

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


class ServerProcess:
    """A fake server process: its announcement line and a JSON client for /_control."""

    def __init__(self, process: asyncio.subprocess.Process, info: Mapping[str, Any]) -> None:
        self.process = process
        self.info = dict(info)
        self.url = str(info["url"])
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        self._drain = asyncio.create_task(_discard(process.stdout))

    async def control(self, action: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST /_control/<action> with a JSON body; the JSON answer."""
        async with self._session.post(f"{self.url}/_control/{action}", json=body or {}) as r:
            return await self._answer(r, action)

    async def control_get(self, path: str, params: Mapping[str, str]) -> Any:
        async with self._session.get(f"{self.url}/_control/{path}", params=params) as r:
            return await self._answer(r, path)

    async def _answer(self, response: aiohttp.ClientResponse, what: str) -> Any:
        answer = await response.json(content_type=None)
        if response.status != 200:
            raise RuntimeError(f"/_control/{what} answered {response.status}: {answer}")
        return answer

    async def stop(self) -> None:
        await self._session.close()
        await stop_process(self.process)
        self._drain.cancel()
        with suppress(asyncio.CancelledError):
            await self._drain


async def _discard(stream: asyncio.StreamReader | None) -> None:
    while stream is not None and await stream.read(65536):
        pass


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL if it has not exited within STOP_TIMEOUT_S."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            process.kill()
            await process.wait()


async def _spawn(argv: Sequence[str]) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ROOT,
        env=child_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        if process.stdout is None:
            raise RuntimeError("no stdout pipe")
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
        return process, json.loads(line)
    except (TimeoutError, ValueError, RuntimeError):
        await stop_process(process)
        raise RuntimeError(f"{' '.join(argv)} did not announce its URL") from None


# -- Kraken ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """What the fake Kraken saw since its request log was last cleared."""

    total: int
    rate_limit_errors: int
    by_endpoint: Mapping[str, int]


class KrakenServer(ServerProcess):
    """`python -m tests.fakes.kraken_server` with latency and a tier's REST counter."""

    def __init__(self, process: asyncio.subprocess.Process, info: Mapping[str, Any]) -> None:
        super().__init__(process, info)
        self._synthetic: set[str] = set()

    @property
    def api_key(self) -> str:
        return str(self.info["api_key"])

    @property
    def api_secret(self) -> str:
        return str(self.info["api_secret"])

    async def counts(self) -> Counts:
        answer = await self.control("counts")
        return Counts(int(answer["total"]), int(answer["rate_limit_errors"]), answer["counts"])

    async def clear_requests(self) -> None:
        await self.control("clear_requests")

    async def set_price(self, base: str, quote: str, price: str, *, synthetic: bool) -> None:
        """Quote `base`/`quote` at `price`, adding the synthetic market on first use."""
        if synthetic and base not in self._synthetic:
            await self.control("market", {"base": base, "quote": quote, "price": price})
            self._synthetic.add(base)
        else:
            await self.control("price", {"pair": f"{base}/{quote}", "price": price})

    async def set_balances(self, balances: Mapping[str, str]) -> None:
        """Replace every balance (Kraken asset ids: XXBT, ZEUR, ...)."""
        await self.control("balances", {"balances": dict(balances), "replace": True})

    async def reset_counter(self, tier: str) -> None:
        """Set the tier again: every key's REST counter starts from zero."""
        await self.control("rate_limit_tier", {"tier": tier})


@asynccontextmanager
async def kraken_server(latency_s: float, tier: str) -> AsyncIterator[KrakenServer]:
    args = ("--port", "0", "--latency", str(latency_s), "--tier", tier, "--seed", "7")
    process, info = await _spawn(python_module("tests.fakes.kraken_server", *args))
    server = KrakenServer(process, info)
    try:
        yield server
    finally:
        await server.stop()


# -- Telegram --------------------------------------------------------------------------------


class TelegramServer(ServerProcess):
    """`python -m tests.fakes.telegram_server`: users' messages in, the bot's calls out."""

    @property
    def token(self) -> str:
        return str(self.info["token"])

    async def send(self, user_id: int, text: str) -> None:
        await self.control("send_message", {"user_id": user_id, "text": text})

    async def wait(self, kind: str, timeout_s: float, **query: str) -> Any:
        """The oldest `kind` ("message", "photo", "request") no earlier wait returned."""
        params = {**query, "timeout": str(timeout_s)}
        return await self.control_get(f"wait/{kind}", params)


@asynccontextmanager
async def telegram_server() -> AsyncIterator[TelegramServer]:
    argv = python_module("tests.fakes.telegram_server", "--port", "0")
    process, info = await _spawn(argv)
    server = TelegramServer(process, info)
    try:
        yield server
    finally:
        await server.stop()
