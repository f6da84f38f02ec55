"""Timing, processes and machine facts: the measuring half of the benchmark.

Times are `time.perf_counter` differences. A whole process is measured by `bench.peak`, from
just before it is spawned until it has been reaped with `os.wait4`, which also gives its peak
resident memory (`ru_maxrss`); a running process's memory is read from /proc/<pid>/status.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from bench.bytecode import BYTECODE_CACHE
from core.config import Settings

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
# Settings the product reads from the environment: a developer's shell must not leak into a run.
PRODUCT_VARIABLES = frozenset(name.upper() for name in Settings.model_fields)


# -- timing ----------------------------------------------------------------------------------


async def timed(call: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    """Seconds `await call()` took, and its result."""
    start = time.perf_counter()
    result = await call()
    return time.perf_counter() - start, result


def seconds_per_call(call: Callable[[], object], budget_s: float, min_calls: int = 3) -> float:
    """Mean seconds per `call()`, calling it until `budget_s` has passed (at least `min_calls`)."""
    calls = 0
    start = time.perf_counter()
    while True:
        call()
        calls += 1
        elapsed = time.perf_counter() - start
        if calls >= min_calls and elapsed >= budget_s:
            return elapsed / calls


def reps(quick: bool, full: int, fast: int = 1) -> int:
    """How many repetitions: `full` normally, `fast` under --quick."""
    return fast if quick else full


# -- processes -------------------------------------------------------------------------------


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def product_command(*args: str) -> list[str]:
    """`rebalance-bot ARGS` as installed beside this interpreter (else `python -m bot.cli.main`)."""
    script = Path(sys.executable).parent / "rebalance-bot"
    return [str(script), *args] if script.exists() else python_module("bot.cli.main", *args)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a measured child: no product settings inherited, bytecode cached."""
    env = {k: v for k, v in os.environ.items() if k not in PRODUCT_VARIABLES}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env | dict(extra or {})


@dataclass(frozen=True)
class Finished:
    """A child process that ran to its end."""

    wall_s: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str


def _run_measured(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: bytes | None = None
) -> Finished:
    """Run `argv` to completion under `bench.peak` (see there why), blocking; `stdin` is what
    it reads (None: the benchmark's own stdin)."""
    with tempfile.TemporaryDirectory(prefix="rebalance-bench-peak-") as tmp:
        result = Path(tmp) / "result.json"
        launcher = python_module("bench.peak", str(result), *argv)
        done = subprocess.run(
            launcher,
            input=stdin,
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            check=False,
        )
        if not result.exists():
            raise RuntimeError(f"bench.peak failed: {done.stderr.decode(errors='replace')}")
        measured = json.loads(result.read_text())
    return Finished(
        wall_s=float(measured["wall_s"]),
        peak_rss_bytes=int(measured["peak_rss_bytes"]),
        returncode=int(measured["returncode"]),
        stdout=done.stdout.decode(errors="replace"),
        stderr=done.stderr.decode(errors="replace"),
    )


async def run_process(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, stdin: bytes | None = None
) -> Finished:
    """`_run_measured` in a worker thread; raises when the process failed."""
    done = await asyncio.to_thread(_run_measured, argv, env, cwd, stdin)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {' | '.join(tail)}")
    return done


def resident_bytes(pid: int) -> int:
    """VmRSS of a running process, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# -- machine facts ---------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_facts() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "ccxt": _version("ccxt"),
        "python-telegram-bot": _version("python-telegram-bot"),
        "load average at start": load_average(),
    }
