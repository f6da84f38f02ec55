"""Row 6: the bot's memory over 5,000 mixed commands, charts included.

The real `rebalance-bot run`, as in row 5 (paper mode, bundled snapshot, fake Telegram server
in its own process), is sent the commands of `command(i)` one after the other, each once the
previous reply and its chart (if any) have arrived; its resident memory (VmRSS) is read after
200, 1,000 and 5,000 of them (20, 100 and 200 under --quick). In every 100 commands: two
/check (each with a chart), two /stats (with a chart once a rebalance has run), a /targets
change that makes a rebalance due, then /rebalance confirmed with its button; the rest are
/preview, /history, /locked, /targets and /help in turn. The owner first turns drift alerts
off: the scheduled check still runs, but sends nothing nobody asked for. Also measured:
/check to its chart, and the peak RSS of one chart process (`python -m bot.telegram.charts`,
where the bot draws). The reference is row 5's echo bot, sent the same commands.
"""

from __future__ import annotations

import asyncio
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench.harness import child_env, python_module, reps, run_process
from bench.report import Row, Side, Unit
from bench.rows_bot import (
    BOT_NA,
    IDLE_SETTLE_S,
    OWNER,
    PROJECT,
    REFERENCE,
    BotSpec,
    Running,
    bot_problem,
    running_bot,
)
from bench.scenario import DRIFT_BAND_PCT, QUOTE, domain_portfolio, scenario
from bot.telegram import charts
from core.domain.models import PlanSettings
from core.domain.planner import make_plan

MARKS = (200, 1_000, 5_000)
QUICK_MARKS = (20, 100, 200)
ROTATION = ("/preview", "/history", "/locked", "/targets", "/help")
TARGETS = ("/targets BTC=40,ETH=30,SOL=20,ADA=10", "/targets BTC=25,ETH=25,SOL=25,ADA=25")
CONFIRM = "✅ Confirm"
DONE = "Rebalance done"
NOTE = (
    "reference: bench.echo_bot (row 5), sent the same commands; one launch of each. The bot "
    "draws every chart in a short-lived `python -m bot.telegram.charts` process, so matplotlib "
    "never loads into it: that process (its peak RSS above, gone before the next command) is "
    "not in the bot's RSS, and /check → chart pays its start and matplotlib's import every time. "
    "Drawing in its own process (the code before this row, measured by it): 162, 190 and "
    "191 MB, and a chart in 0.17 s"
)


def command(i: int) -> str:
    """The `i`-th command (from 0) of the mix: see the module's docstring."""
    if i % 100 == 98:
        return TARGETS[i // 100 % 2]
    if i % 100 == 99:
        return "/rebalance"
    if i % 25 == 0:
        return "/check" if i % 50 == 0 else "/stats"
    return ROTATION[i % len(ROTATION)]


@dataclass
class Soak:
    """What one launch measured: RSS at each mark, and /check → chart (echo) times."""

    rss: dict[int, float] = field(default_factory=dict)
    charts: list[float] = field(default_factory=list)


class _Driver:
    """Sends the mix to one running bot, confirming its plans and waiting for its charts."""

    def __init__(self, bot: Running, spec: BotSpec) -> None:
        self.bot = bot
        self.spec = spec
        self.runs = 0  # rebalances done: /stats draws a chart from the first one on

    async def send(self, text: str) -> float:
        """Seconds until `text` was answered, its chart included."""
        start = time.perf_counter()
        _, message = await self.bot.reply(text)
        if text == "/rebalance":
            await self._confirm(message)
        if text in self.spec.charts and (text != "/stats" or self.runs):
            await self.bot.photo()
        return time.perf_counter() - start

    async def _confirm(self, plan: dict[str, Any]) -> None:
        rows = plan.get("reply_markup", {}).get("inline_keyboard", [])
        if not any(button["text"] == CONFIRM for row in rows for button in row):
            if plan.get("text") == "/rebalance":
                return  # the echo bot's echo
            raise RuntimeError(f"no Confirm under the /rebalance reply: {plan.get('text')!r:.120}")
        press = {"user_id": OWNER, "message_id": plan["message_id"], "text": CONFIRM}
        await self.bot.tg.control("press_button", press)
        report = await self.bot.message()
        if DONE not in report.get("text", ""):
            raise RuntimeError(f"the rebalance did not run: {report.get('text', '')[:120]!r}")
        self.runs += 1


async def _soak(spec: BotSpec, workdir: Path, marks: tuple[int, ...]) -> Soak:
    soak = Soak()
    async with running_bot(spec, workdir, f"{spec.name}-memory") as bot:
        await bot.reply("/alerts off")
        driver = _Driver(bot, spec)
        for i in range(marks[-1]):
            text = command(i)
            seconds = await driver.send(text)
            if text == "/check":
                soak.charts.append(seconds)
            if i + 1 in marks:
                await asyncio.sleep(IDLE_SETTLE_S)
                soak.rss[i + 1] = float(bot.rss())
    return soak


async def _chart_process_peak(workdir: Path) -> float:
    """Peak RSS of `python -m bot.telegram.charts` drawing the weights chart of a 4-asset plan."""
    sc = scenario(4)
    settings = PlanSettings(QUOTE, drift_band_pct=DRIFT_BAND_PCT)
    plan = make_plan(domain_portfolio(sc), sc.targets, frozenset(), settings, datetime.now(UTC))
    job = pickle.dumps(partial(charts.weights_png, plan))
    done = await run_process(python_module("bot.telegram.charts"), child_env(), workdir, stdin=job)
    return float(done.peak_rss_bytes)


async def memory_rows(quick: bool, workdir: Path) -> list[Row]:
    marks = QUICK_MARKS if quick else MARKS
    problem = await bot_problem(workdir)
    project: Soak | str = problem
    if not problem:
        try:
            project = await _soak(PROJECT, workdir, marks)
        except (RuntimeError, OSError) as e:
            project = str(e)
    reference = await _soak(REFERENCE, workdir, marks)
    group = f"6 bot memory, {marks[-1]:,} mixed commands" + (" (--quick)" if quick else "")
    note = f"{BOT_NA}: {project}. {NOTE}" if isinstance(project, str) else NOTE
    metrics: list[tuple[str, str, Unit, Callable[[Soak], list[float]]]] = [
        (f"rss.{m}", f"RSS after {m:,} commands", "bytes", partial(_rss_at, m)) for m in marks
    ]
    metrics.append(("chart", "/check → chart (ref: → echo)", "s", lambda s: s.charts))
    rows = [
        Row(f"memory.{key}", group, metric, unit, *_sides(project, reference, pick), note)
        for key, metric, unit, pick in metrics
    ]
    peaks = Side.of([await _chart_process_peak(workdir) for _ in range(reps(quick, 3))])
    no_charts = Side.na("n/a (draws no charts)")
    metric = "chart process peak RSS"
    rows.append(Row("memory.chart_process", group, metric, "bytes", peaks, no_charts, note))
    return rows


def _rss_at(mark: int, soak: Soak) -> list[float]:
    return [soak.rss[mark]]


def _sides(
    project: Soak | str, reference: Soak, pick: Callable[[Soak], list[float]]
) -> tuple[Side, Side]:
    mine = Side.na(BOT_NA) if isinstance(project, str) else Side.of(pick(project))
    return mine, Side.of(pick(reference))
