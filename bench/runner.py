"""Runs the selected groups of rows one after the other and collects the results.

Groups run sequentially so that no measurement shares the machine with another. A group that
fails does not lose the others: its failure is printed to stderr and noted in the results.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import PRODUCT_VARIABLES, load_average, machine_facts
from bench.report import Results, Row
from bench.rows_bot import bot_rows
from bench.rows_execution import execution_rows
from bench.rows_maker import maker_rows
from bench.rows_memory import memory_rows
from bench.rows_planner import planner_rows
from bench.rows_preview import cold_rows, warm_rows
from bench.scenario import LATENCY_S, TIER
from core.logs import configure_logging

Group = Callable[[bool, Path], Awaitable[list[Row]]]
GROUPS: dict[str, Group] = {
    "preview": warm_rows,
    "cold": cold_rows,
    "execution": execution_rows,
    "planner": planner_rows,
    "bot": bot_rows,
    "memory": memory_rows,
    "maker": maker_rows,
}
ALIASES = {str(i): name for i, name in enumerate(GROUPS, start=1)}
BYTECODE_NOTE = (
    "bytecode is cached under the temporary directory for every measured process "
    "(this machine sets PYTHONDONTWRITEBYTECODE=1; an installed bot has its dependencies "
    "pre-compiled), and each process row starts with one unmeasured warm-up run"
)
RUNS_NOTE = (
    "n p/r = runs for the project / the reference; the reference gets fewer runs where each "
    "takes seconds of ccxt's fixed spacing (its spread is small: the spacing dominates)"
)


class _Discard(io.StringIO):
    """A text stream that forgets what it is given."""

    def write(self, text: str) -> int:
        return len(text)


def group_names(only: Sequence[str] | None) -> list[str]:
    """The groups to run, in table order; ValueError names the valid ones."""
    if not only:
        return list(GROUPS)
    wanted = {ALIASES.get(name.lower(), name.lower()) for name in only}
    unknown = sorted(wanted - set(GROUPS))
    if unknown:
        valid = ", ".join(f"{i} or {name}" for i, name in ALIASES.items())
        raise ValueError(f"unknown row {', '.join(unknown)}: use {valid}")
    return [name for name in GROUPS if name in wanted]


async def run(names: Sequence[str], quick: bool) -> Results:
    """Every group in `names`, in order, with the product's logs kept off the terminal."""
    for name in PRODUCT_VARIABLES:  # the shell's settings must not leak into in-process runs
        os.environ.pop(name, None)
    configure_logging("INFO", "json", (), stream=_Discard())  # logged as in production, unseen
    results = Results(
        machine=machine_facts(),
        config={
            "quick": quick,
            "rows": list(names),
            "latency_s": LATENCY_S,
            "tier": TIER,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
        notes=[BYTECODE_NOTE, RUNS_NOTE],
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rebalance-bench-") as tmp:
        for name in names:
            await _run_group(results, name, quick, Path(tmp))
    results.config = {**results.config, "duration_s": round(time.perf_counter() - started, 1)}
    results.machine = {**results.machine, "load average at end": load_average()}
    return results


async def _run_group(results: Results, name: str, quick: bool, workdir: Path) -> None:
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        results.rows += await GROUPS[name](quick, workdir)
    except Exception as e:  # one broken group must not lose the others' figures
        traceback.print_exc()
        results.failures.append(f"{name}: {type(e).__name__}: {e}")
    print(f"bench: {name} took {time.perf_counter() - started:.1f} s", file=sys.stderr)
