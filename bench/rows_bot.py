"""Row 5: the bot as a process, over the fake Telegram server.

`rebalance-bot run` starts as a subprocess in paper mode on the bundled snapshot
(PAPER_MARKET_DATA=snapshot), pointed at a fake Telegram server (also a subprocess). Measured:
time from spawning the process to its first getUpdates; resident memory (VmRSS) once idle;
time from queueing a `/preview` update to the reply. The reference is `bench.echo_bot`, a
minimal PTB echo bot measured the same way: python-telegram-bot's floor, not a competitor (it
does no work). Memory under thousands of commands is row 6 (`bench.rows_memory`).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import (
    child_env,
    product_command,
    python_module,
    reps,
    resident_bytes,
    run_process,
)
from bench.report import Row, Side, Unit
from bench.servers import TelegramServer, stop_process, telegram_server

OWNER = 111
START_TIMEOUT_S = 60.0
REPLY_TIMEOUT_S = 30.0
IDLE_SETTLE_S = 1.0
BOT_NA = "n/a (bot not available)"
NOTE = (
    "reference: bench.echo_bot, a minimal python-telegram-bot echo bot (one handler that "
    "repeats the text; no database, rendering or job queue): the library's floor, which the "
    "bot cannot beat. The bot also imports SQLAlchemy/Alembic and pydantic at start, migrates "
    "and opens its database, sets its command menu and reconciles before polling, and renders "
    "every reply"
)


@dataclass(frozen=True)
class BotSpec:
    name: str
    argv: Sequence[str]
    charts: frozenset[str]  # commands that may be answered with a photo after the text

    def env(self, tg: TelegramServer, database: Path) -> dict[str, str]:
        return child_env(
            {
                "TELEGRAM_BOT_TOKEN": tg.token,
                "TELEGRAM_API_URL": tg.url,
                "TELEGRAM_ALLOWED_USERS": str(OWNER),
                "TRADING_MODE": "paper",
                "PAPER_MARKET_DATA": "snapshot",
                "DATABASE_URL": f"sqlite:///{database}",
                "REBALANCE_COOLDOWN_MINUTES": "0",
                "LOG_FORMAT": "json",
            }
        )


PROJECT = BotSpec("project", product_command("run"), frozenset({"/check", "/stats"}))
REFERENCE = BotSpec("reference", python_module("bench.echo_bot"), frozenset())


@dataclass(frozen=True)
class Launch:
    start_s: float
    idle_rss: int
    previews: list[float]


@dataclass(frozen=True)
class Running:
    """A bot process polling the fake Telegram server, and how long it took to get there."""

    tg: TelegramServer
    process: asyncio.subprocess.Process
    start_s: float

    async def reply(self, text: str) -> tuple[float, dict[str, Any]]:
        """Send `text` as the owner: seconds until the bot's reply, and the reply."""
        start = time.perf_counter()
        await self.tg.send(OWNER, text)
        return time.perf_counter() - start, await self.message()

    async def message(self) -> dict[str, Any]:
        """The next message the bot sends to the owner."""
        found: dict[str, Any] = await self.tg.wait("message", REPLY_TIMEOUT_S, chat_id=str(OWNER))
        return found

    async def photo(self) -> None:
        """Until the next photo the bot sends."""
        await self.tg.wait("photo", REPLY_TIMEOUT_S, chat_id=str(OWNER))

    def rss(self) -> int:
        return resident_bytes(self.process.pid)


@asynccontextmanager
async def running_bot(spec: BotSpec, workdir: Path, name: str) -> AsyncIterator[Running]:
    """`spec` started against a fresh fake Telegram server, from spawn to its first poll.

    Its log goes to `workdir/bot-NAME.log`, its database to `workdir/bot-NAME.db`.
    """
    async with telegram_server() as tg:
        with (workdir / f"bot-{name}.log").open("wb") as log:
            start = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                *spec.argv,
                cwd=workdir,
                env=spec.env(tg, workdir / f"bot-{name}.db"),
                stdout=log,
                stderr=log,
            )
            try:
                await _first_poll(tg, process)
                yield Running(tg, process, time.perf_counter() - start)
            finally:
                await stop_process(process)


async def _first_poll(tg: TelegramServer, process: asyncio.subprocess.Process) -> None:
    """Until the bot's first getUpdates; RuntimeError if the process ends before it."""
    poll = asyncio.ensure_future(tg.wait("request", START_TIMEOUT_S, method="getUpdates"))
    ended = asyncio.ensure_future(process.wait())
    await asyncio.wait({poll, ended}, return_when=asyncio.FIRST_COMPLETED)
    if not poll.done():
        poll.cancel()
        raise RuntimeError(f"the process exited ({ended.result()}) before its first getUpdates")
    ended.cancel()
    poll.result()


async def _launch(spec: BotSpec, workdir: Path, index: int, quick: bool) -> Launch:
    async with running_bot(spec, workdir, f"{spec.name}-{index}") as bot:
        await asyncio.sleep(IDLE_SETTLE_S)
        idle = bot.rss()
        previews = [(await bot.reply("/preview"))[0] for _ in range(reps(quick, 6, 3))]
        return Launch(bot.start_s, idle, previews[1:])


async def bot_problem(workdir: Path) -> str:
    """Empty when `rebalance-bot run` can start; otherwise why the bot's rows are n/a.

    Probed in a child process, which also compiles the bot's imports into the bytecode cache.
    """
    code = "import bot.cli.main; from bot.telegram.app import build_application, run_bot"
    try:
        await run_process([sys.executable, "-c", code], child_env(), workdir)
    except RuntimeError as e:
        return str(e)
    return ""


def _sides(
    project: list[Launch] | str, reference: list[Launch], pick: Callable[[Launch], list[float]]
) -> tuple[Side, Side]:
    mine = Side.na(BOT_NA) if isinstance(project, str) else Side.of(_flat(project, pick))
    return mine, Side.of(_flat(reference, pick))


def _flat(launches: list[Launch], pick: Callable[[Launch], list[float]]) -> list[float]:
    return [value for launch in launches for value in pick(launch)]


async def _all_launches(workdir: Path, quick: bool) -> tuple[list[Launch] | str, list[Launch]]:
    """Launches of the bot and of the echo bot, alternated so that load changes hit both.

    The bot's side is why it could not be measured (the rows then say n/a) when it is missing
    or fails to start.
    """
    problem = await bot_problem(workdir)
    await run_process([sys.executable, "-c", "import bench.echo_bot"], child_env(), workdir)
    project: list[Launch] = []
    reference: list[Launch] = []
    for i in range(reps(quick, 3)):
        if not problem:
            try:
                project.append(await _launch(PROJECT, workdir, i, quick))
            except (RuntimeError, OSError) as e:
                problem = str(e)
        reference.append(await _launch(REFERENCE, workdir, i, quick))
    return problem or project, reference


async def bot_rows(quick: bool, workdir: Path) -> list[Row]:
    project, reference = await _all_launches(workdir, quick)
    metrics: tuple[tuple[str, str, Unit, Callable[[Launch], list[float]]], ...] = (
        ("start", "start → first getUpdates", "s", lambda x: [x.start_s]),
        ("rss.idle", "RSS idle", "bytes", lambda x: [float(x.idle_rss)]),
        ("preview", "/preview update → reply", "s", lambda x: x.previews),
    )
    group = "5 bot (paper, snapshot)"
    note = f"{BOT_NA}: {project}. {NOTE}" if isinstance(project, str) else NOTE
    return [
        Row(f"bot.{key}", group, metric, unit, *_sides(project, reference, pick), note)
        for key, metric, unit, pick in metrics
    ]
