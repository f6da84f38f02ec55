"""Row 5: the bot as a process, over the fake Telegram server.

`rebalance-bot run` starts as a subprocess in paper mode on the bundled snapshot
(PAPER_MARKET_DATA=snapshot), pointed at a fake Telegram server (also a subprocess). Measured:
time from spawning the process to its first getUpdates; resident memory (VmRSS) once idle and
after 200 commands answered one after the other; time from queueing a `/preview` update to
the reply. The reference is `bench.echo_bot`, a minimal PTB echo bot measured the same way:
python-telegram-bot's floor, not a competitor (it does no work).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

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
COMMANDS = ("/preview", "/check", "/targets", "/history", "/help")
COMMAND_COUNT = 200
START_TIMEOUT_S = 60.0
REPLY_TIMEOUT_S = 30.0
IDLE_SETTLE_S = 1.0
BOT_NA = "n/a (bot not available)"
NOTE = (
    "reference: bench.echo_bot, a minimal python-telegram-bot echo bot (one handler that "
    "repeats the text; no database, rendering or job queue): the library's floor, which the "
    "bot cannot beat. The bot also imports SQLAlchemy/Alembic and pydantic at start, migrates "
    "and opens its database, sets its command menu and reconciles before polling, renders "
    "every reply and draws a chart for each /check (matplotlib, ~45 MB, loads with the first "
    "chart: most of the RSS growth after 200 commands)"
)


@dataclass(frozen=True)
class BotSpec:
    name: str
    argv: Sequence[str]
    charts: frozenset[str]  # commands answered with a photo after the text

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


PROJECT = BotSpec("project", product_command("run"), frozenset({"/check"}))
REFERENCE = BotSpec("reference", python_module("bench.echo_bot"), frozenset())


@dataclass(frozen=True)
class Launch:
    start_s: float
    idle_rss: int
    previews: list[float]
    busy_rss: int


def _log(path: Path) -> IO[bytes]:
    return path.open("wb")


async def _reply_time(tg: TelegramServer, text: str) -> float:
    start = time.perf_counter()
    await tg.send(OWNER, text)
    await tg.wait("message", REPLY_TIMEOUT_S, chat_id=str(OWNER))
    return time.perf_counter() - start


async def _commands(tg: TelegramServer, spec: BotSpec, count: int) -> None:
    """`count` commands, each after the previous one's reply; then every chart they asked for."""
    sent = [COMMANDS[i % len(COMMANDS)] for i in range(count)]
    for text in sent:
        await _reply_time(tg, text)
    for _ in range(sum(1 for text in sent if text in spec.charts)):
        await tg.wait("photo", REPLY_TIMEOUT_S, chat_id=str(OWNER))


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
    async with telegram_server() as tg:
        log = _log(workdir / f"bot-{spec.name}-{index}.log")
        start = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            *spec.argv,
            cwd=workdir,
            env=spec.env(tg, workdir / f"bot-{spec.name}-{index}.db"),
            stdout=log,
            stderr=log,
        )
        try:
            await _first_poll(tg, process)
            start_s = time.perf_counter() - start
            await asyncio.sleep(IDLE_SETTLE_S)
            idle = resident_bytes(process.pid)
            previews = [await _reply_time(tg, "/preview") for _ in range(reps(quick, 6, 3))]
            await _commands(tg, spec, reps(quick, COMMAND_COUNT, 20))
            return Launch(start_s, idle, previews[1:], resident_bytes(process.pid))
        finally:
            await stop_process(process)
            log.close()


async def bot_problem(workdir: Path) -> str:
    """Empty when `rebalance-bot run` can start; otherwise why the bot's rows are n/a.

    Probed in a child process, which also compiles the bot's imports into the bytecode cache.
    """
    code = "import bot.cli; from bot.app import build_application, run_bot"
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
    count = reps(quick, COMMAND_COUNT, 20)
    metrics: tuple[tuple[str, str, Unit, Callable[[Launch], list[float]]], ...] = (
        ("start", "start → first getUpdates", "s", lambda x: [x.start_s]),
        ("rss.idle", "RSS idle", "bytes", lambda x: [float(x.idle_rss)]),
        ("rss.busy", f"RSS after {count} commands", "bytes", lambda x: [float(x.busy_rss)]),
        ("preview", "/preview update → reply", "s", lambda x: x.previews),
    )
    group = "5 bot (paper, snapshot)"
    note = f"{BOT_NA}: {project}. {NOTE}" if isinstance(project, str) else NOTE
    return [
        Row(f"bot.{key}", group, metric, unit, *_sides(project, reference, pick), note)
        for key, metric, unit, pick in metrics
    ]
