"""Serving the API with uvicorn inside the running event loop (as python-telegram-bot's
custom-webhook example does), never in a thread: `ApiServer` for `rebalance-bot run`, and
`serve(settings)` for `rebalance-bot serve` (the API alone, no Telegram)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator, Callable, Generator
from contextlib import asynccontextmanager
from datetime import datetime

import uvicorn
from fastapi import FastAPI

from bot.http.app import create_app
from bot.http.auth import Tokens
from bot.http.state import HttpState
from core.app.api import Api
from core.bootstrap import open_rebalancer, utc_now
from core.config import Settings
from core.errors import RebalanceError
from core.logs import get_logger

log = get_logger(__name__)
HEARTBEAT_EVERY_S = 60.0
EXIT_OK, EXIT_FAILURE, EXIT_CONFIG = 0, 1, 2
NO_TOKEN = (
    "the HTTP API needs API_TOKEN_READ or API_TOKEN_TRADE (24 or more characters), "
    "e.g. API_TOKEN_READ=$(openssl rand -hex 24)"
)


class _InLoopServer(uvicorn.Server):
    """uvicorn's server without its own signal handlers: the process owner stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ApiServer:
    """uvicorn serving `app` on host:port as a task of the running loop."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, access_log=False, lifespan="off"
        )
        self.server = _InLoopServer(config)
        self.task: asyncio.Task[None] | None = None
        self.socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with API_PORT=0)."""
        return int(self.socket.getsockname()[1]) if self.socket else self.server.config.port

    async def start(self) -> None:
        """Bind (a refusal is one clear RebalanceError), then serve as a task of this loop."""
        self.socket = self._bind()
        self.task = asyncio.create_task(self.server.serve([self.socket]), name="http-api")
        while not self.server.started:
            if self.task.done():
                self.task.result()  # what stopped it, raised here
                raise RebalanceError("the HTTP API stopped while starting")
            await asyncio.sleep(0.01)
        log.info("http api listening", host=self.server.config.host, port=self.port)

    def _bind(self) -> socket.socket:
        host, port = self.server.config.host, self.server.config.port
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            sock.close()
            raise RebalanceError(
                f"the HTTP API cannot listen on {host}:{port} ({e.strerror}): "
                "set API_HOST and API_PORT to a free address"
            ) from None
        sock.setblocking(False)
        return sock

    async def stop(self) -> None:
        if self.task is None:
            return
        self.server.should_exit = True
        await self.task
        self.task = None
        if self.socket is not None:
            self.socket.close()


def http_state(
    settings: Settings, api: Callable[[], Api], clock: Callable[[], datetime] = utc_now
) -> HttpState:
    return HttpState(api, Tokens(settings.api_token_read, settings.api_token_trade), clock)


@asynccontextmanager
async def serving(
    settings: Settings,
    api: Callable[[], Api],
    clock: Callable[[], datetime] = utc_now,
    app: FastAPI | None = None,
) -> AsyncIterator[ApiServer]:
    """The API served on API_HOST:API_PORT inside the block."""
    server = ApiServer(
        app or create_app(http_state(settings, api, clock)), settings.api_host, settings.api_port
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _beat(api: Api) -> None:
    """`serve` records the heartbeat /healthz reads, as the bot does."""
    while True:
        try:
            api.heartbeat()
        except RebalanceError as e:
            log.warning("heartbeat not recorded", error=str(e))
        await asyncio.sleep(HEARTBEAT_EVERY_S)


async def serve(settings: Settings) -> int:
    """`rebalance-bot serve`: the API alone until SIGTERM/SIGINT."""
    if not settings.api_enabled:
        log.error(NO_TOKEN)
        return EXIT_CONFIG
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_rebalancer(settings) as facade, serving(settings, lambda: facade):
            beat = asyncio.create_task(_beat(facade))
            await stop.wait()
            beat.cancel()
    except RebalanceError as e:
        log.error("could not serve the HTTP API", error=str(e))
        return EXIT_FAILURE
    log.info("http api stopped")
    return EXIT_OK
