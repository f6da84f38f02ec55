"""Rows 1 and 2: preview latency (warm and cold client) and the CLI preview as a process.

Live mode against the fake Kraken (a subprocess on 127.0.0.1, 50 ms injected before every
request, Starter counter), four assets. The project is the real facade from
`core.bootstrap.open_rebalancer`; the reference is `bench.reference.NaiveBot`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.harness import (
    Finished,
    child_env,
    product_command,
    python_module,
    reps,
    run_process,
    timed,
)
from bench.report import Row, Side
from bench.scenario import (
    LATENCY_S,
    TIER,
    Scenario,
    live_settings,
    naive_bot,
    scenario,
    set_up_kraken,
)
from bench.servers import KrakenServer, kraken_server
from core.bootstrap import open_rebalancer

PREVIEW_ASSETS = 4
WARM = "1 preview, warm (4 assets)"
COLD = "2 preview, cold client (4 assets)"
CLI = "2 CLI `preview` process (paper)"
REFERENCE_NOTE = (
    "reference: NaiveBot (ccxt enableRateLimit=True, default rateLimit 1,000 ms, private calls "
    "cost 3 = 3 s apart; Balance then one Ticker per pair; float planner)"
)


@dataclass(frozen=True)
class Timing:
    seconds: float
    requests: int


Measured = Callable[[], Awaitable[object]]


async def measure(kraken: KrakenServer, call: Measured) -> Timing:
    """One timed call, and how many requests the fake Kraken saw during it."""
    await kraken.clear_requests()
    seconds, _ = await timed(call)
    return Timing(seconds, (await kraken.counts()).total)


# -- row 1: warm -----------------------------------------------------------------------------


async def _project_warm(kraken: KrakenServer, sc: Scenario, db: Path, n: int) -> list[Timing]:
    async with open_rebalancer(live_settings(kraken, sc, db)) as app:
        await app.preview()  # markets and fees loaded, holdings remembered: warm from here
        return [await measure(kraken, app.preview) for _ in range(n)]


async def _reference_warm(kraken: KrakenServer, sc: Scenario, n: int) -> list[Timing]:
    async with naive_bot(kraken, sc) as bot:
        await bot.load_markets()
        await bot.preview()
        return [await measure(kraken, bot.preview) for _ in range(n)]


async def warm_rows(quick: bool, workdir: Path) -> list[Row]:
    sc = scenario(PREVIEW_ASSETS)
    async with kraken_server(LATENCY_S, TIER) as kraken:
        await set_up_kraken(kraken, sc)
        project = await _project_warm(kraken, sc, workdir / "warm.db", reps(quick, 5, 2))
        await kraken.reset_counter(TIER)
        reference = await _reference_warm(kraken, sc, reps(quick, 3))
    rows = _timing_rows("preview.warm", WARM, project, reference)
    beyond = Row(
        "preview.warm.beyond_round_trip",
        WARM,
        f"beyond one {LATENCY_S * 1000:.0f} ms round trip",
        "s",
        Side.of(t.seconds - LATENCY_S for t in project),
        Side.of(t.seconds - LATENCY_S for t in reference),
        "the goal: one round trip (balance and tickers fetched concurrently) plus a few ms",
    )
    return [rows[0], beyond, *rows[1:]]


def _timing_rows(key: str, group: str, project: list[Timing], ref: list[Timing]) -> list[Row]:
    return [
        Row(
            f"{key}.latency",
            group,
            "preview() → plan",
            "s",
            Side.of(t.seconds for t in project),
            Side.of(t.seconds for t in ref),
            REFERENCE_NOTE,
        ),
        Row(
            f"{key}.requests",
            group,
            "requests",
            "count",
            Side.of(t.requests for t in project),
            Side.of(t.requests for t in ref),
        ),
    ]


# -- row 2: cold client, and the CLI as a process ---------------------------------------------


async def _project_cold(kraken: KrakenServer, sc: Scenario, db: Path) -> Timing:
    await kraken.reset_counter(TIER)  # a new client cannot know the key's counter: idle key
    async with open_rebalancer(live_settings(kraken, sc, db)) as app:  # a new client each time
        return await measure(kraken, app.preview)


async def _reference_cold(kraken: KrakenServer, sc: Scenario) -> Timing:
    await kraken.reset_counter(TIER)
    async with naive_bot(kraken, sc) as bot:

        async def cold_preview() -> object:
            await bot.load_markets()
            return await bot.preview()

        return await measure(kraken, cold_preview)


async def cold_rows(quick: bool, workdir: Path) -> list[Row]:
    sc = scenario(PREVIEW_ASSETS)
    async with kraken_server(LATENCY_S, TIER) as kraken:
        await set_up_kraken(kraken, sc)
        db = workdir / "cold.db"
        project = [await _project_cold(kraken, sc, db) for _ in range(reps(quick, 5, 2))]
        reference = [await _reference_cold(kraken, sc) for _ in range(reps(quick, 3))]
    return _timing_rows("preview.cold", COLD, project, reference) + await cli_rows(quick, workdir)


CLI_NOTE = (
    "reference: `python -m bench.reference_cli`, the naive script's paper preview (imports "
    "ccxt up front: all of its ~100 exchanges, ~0.6 s and ~90 MB; reads the same bundled "
    "snapshot; float planner; prints). The project's process loads ccxt only to talk to "
    "Kraken, but validates settings, opens SQLite, checks migrations with Alembic and plans in "
    "Decimal; most of either figure is import time"
)


CLI_COMMANDS = {
    "project": product_command("preview"),
    "reference": python_module("bench.reference_cli"),
}


async def _cli_runs(quick: bool, workdir: Path) -> dict[str, list[Finished]]:
    """Both commands, each warmed up once, then run alternately so load changes hit both."""
    env = child_env(
        {
            "TRADING_MODE": "paper",
            "PAPER_MARKET_DATA": "snapshot",
            "DATABASE_URL": f"sqlite:///{workdir / 'cli.db'}",
            "LOG_FORMAT": "json",
        }
    )
    for argv in CLI_COMMANDS.values():
        await run_process(argv, env, workdir)  # warm-up: bytecode cache, database created
    runs: dict[str, list[Finished]] = {side: [] for side in CLI_COMMANDS}
    for _ in range(reps(quick, 5, 2)):
        for side, argv in CLI_COMMANDS.items():
            runs[side].append(await run_process(argv, env, workdir))
    return runs


async def cli_rows(quick: bool, workdir: Path) -> list[Row]:
    """`rebalance-bot preview` in paper mode on the bundled snapshot, as a whole process."""
    runs = await _cli_runs(quick, workdir)
    mine, theirs = runs["project"], runs["reference"]
    return [
        Row(
            "cli.preview.wall",
            CLI,
            "wall time",
            "s",
            Side.of(r.wall_s for r in mine),
            Side.of(r.wall_s for r in theirs),
            CLI_NOTE,
        ),
        Row(
            "cli.preview.rss",
            CLI,
            "peak RSS",
            "bytes",
            Side.of(r.peak_rss_bytes for r in mine),
            Side.of(r.peak_rss_bytes for r in theirs),
            CLI_NOTE,
        ),
    ]
