"""`python -m bench [--quick] [--only ROW ...] [--output PATH]` (`make bench`).

Prints one table and writes the same figures as JSON (default `bench/results.json`). Rows:
1 preview (warm), 2 cold (cold client and the CLI process), 3 execution, 4 planner, 5 bot,
6 memory (the bot over 5,000 mixed commands), 7 maker (maker-first vs market on one tape).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.bytecode import enable_bytecode_cache

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="The project side by side with a naive reference; one table and a JSON.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a fast smoke run: fewer runs, smaller loads"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="ROW",
        help="run only this group (1 preview, 2 cold, 3 execution, 4 planner, 5 bot, 6 memory, "
        "7 maker); repeatable",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the JSON file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    enable_bytecode_cache()  # before the heavy imports below
    from bench import report, runner  # noqa: PLC0415 - imported once bytecode is cached

    try:
        names = runner.group_names(args.only)
    except ValueError as e:
        print(f"python -m bench: {e}", file=sys.stderr)
        return 2
    results = asyncio.run(runner.run(names, args.quick))
    print(report.render(results))
    report.write_json(results, args.output)
    print(f"\nWritten: {args.output}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
