"""`rebalance-bot positions [--json]`, `basis SYMBOL PRICE`, `export fills|lots`: parse, call
the Api, print. Wired into the command table by `bot.cli.main`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from bot.bodies_positions import csv_text, positions_body
from bot.cli import render_positions
from core.app.api import Api
from core.app.position_results import CsvRows
from core.errors import InputError

Command = Callable[[Api, argparse.Namespace], Awaitable[str]]


async def positions(app: Api, args: argparse.Namespace) -> str:
    report = await app.positions()
    if args.json:
        return json.dumps(positions_body(report), indent=2)
    return render_positions.positions(report)


async def basis(app: Api, args: argparse.Namespace) -> str:
    return render_positions.basis(await app.set_basis(args.symbol, args.price))


async def export(app: Api, args: argparse.Namespace) -> str:
    if args.what == "fills":
        rows = app.export_fills(args.since)
    else:
        rows = await app.export_lots()
    return write_csv(rows, args.output, args.what)


def write_csv(rows: CsvRows, output: str | None, what: str) -> str:
    """The CSV itself (printed to stdout), or written to `output` and a line saying so."""
    text = csv_text(rows)
    if output is None:
        return text.removesuffix("\n")
    try:
        Path(output).write_text(text, encoding="utf-8", newline="")
    except OSError as e:
        raise InputError(f"cannot write {output}: {e.strerror}.", code="bad_output") from e
    n = len(rows) - 1
    return f"Wrote {n} row{'' if n == 1 else 's'} of {what} to {output}."


def day(text: str) -> date:
    """`--since YYYY-MM-DD`."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


COMMANDS: dict[str, tuple[Command, str]] = {
    "positions": (positions, "per asset: amount, entry price and time, value, P&L, lock"),
    "basis": (basis, "state what a holding from before the bot cost: basis BTC 30000"),
    "export": (export, "CSV of every fill (export fills) or of the lots (export lots)"),
}


def add_arguments(choices: dict[str, argparse.ArgumentParser]) -> None:
    """The positions commands' arguments, on the parsers `main` made for COMMANDS."""
    choices["positions"].add_argument("--json", action="store_true", help="print JSON")
    choices["basis"].add_argument("symbol", help="e.g. BTC")
    choices["basis"].add_argument("price", help="per unit, in the quote currency, e.g. 30000")
    kinds = choices["export"].add_subparsers(dest="what", required=True, metavar="fills|lots")
    fills = kinds.add_parser("fills", help="one row per fill, in time order")
    fills.add_argument("--since", type=day, default=None, help="from this day (UTC) on")
    lots = kinds.add_parser("lots", help="open lots and every realized match")
    for sub in (fills, lots):
        sub.add_argument("--output", default=None, metavar="FILE", help="instead of stdout")
