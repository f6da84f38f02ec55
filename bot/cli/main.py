"""`rebalance-bot`: the command-line front end. Parses, calls the facade, prints.

Errors become one clear line on stderr and a non-zero exit (2 for settings, 1 otherwise);
`--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn, cast

from bot import bodies
from bot.autopilot_body import pause_body, status_body
from bot.cli import maintenance, rebalance, render_autopilot, render_positions, words
from bot.cli import positions as cli_positions
from bot.cli import render as cli_render
from bot.cli.rebalance import CLI_USER, Output
from core.app.api import Api
from core.bootstrap import healthcheck, open_rebalancer
from core.config import Settings, load_settings
from core.errors import ConfigError, InputError, RebalanceError
from core.logs import Redactor, configure_logging

Command = Callable[[Api, argparse.Namespace], Awaitable["str | Output"]]


def _json(body: object) -> str:
    """--json: exactly the body the matching HTTP endpoint returns (bot/bodies.py)."""
    return json.dumps(body, indent=2)


async def _check(app: Api, args: argparse.Namespace) -> str:
    plan = await app.check()
    return _json(bodies.check(plan, app.mode)) if args.json else cli_render.check(plan, app.mode)


async def _preview(app: Api, args: argparse.Namespace) -> str:
    plan = await app.preview()
    if args.json:
        return _json(bodies.preview(plan, app.mode))
    return cli_render.preview(plan, app.mode)


async def _lock(app: Api, args: argparse.Namespace) -> str:
    changed = await app.lock(args.symbol, CLI_USER, args.reason)
    symbol = args.symbol.upper()
    return f"{symbol} locked." if changed else f"{symbol} was already locked."


async def _unlock(app: Api, args: argparse.Namespace) -> str:
    if args.all:
        return f"Unlocked {app.unlock_all()} asset(s)."
    if not args.symbol:
        raise InputError("say which asset to unlock: `rebalance-bot unlock BTC` or `--all`")
    changed = app.unlock(args.symbol)
    symbol = args.symbol.upper()
    return f"{symbol} unlocked." if changed else f"{symbol} was not locked."


async def _locked(app: Api, args: argparse.Namespace) -> str:
    locks = app.locked()
    return _json(bodies.locks(locks)) if args.json else cli_render.locks(locks)


async def _targets(app: Api, args: argparse.Namespace) -> str:
    weights = await app.set_targets(args.spec) if args.spec else app.targets()
    if args.json:
        return _json(bodies.targets(weights))
    return ("Saved. " if args.spec else "") + cli_render.targets(weights)


async def _stats(app: Api, args: argparse.Namespace) -> str:
    stats = app.stats()
    if args.json:
        return _json(bodies.stats(stats))
    text = cli_render.stats(stats)
    if stats.ledger is not None:  # positions: per month, fee share
        text += "\n\n" + render_positions.ledger_figures(stats.ledger, stats.quote_currency)
    return text


async def _history(app: Api, args: argparse.Namespace) -> str:
    runs = app.history(args.n)
    return _json(bodies.history(runs)) if args.json else cli_render.history(runs)


async def _status(app: Api, args: argparse.Namespace) -> str:
    status = app.autopilot_status()
    return _json(status_body(status)) if args.json else render_autopilot.status(status)


async def _pause(app: Api, args: argparse.Namespace) -> str:
    changed = app.pause_autopilot(CLI_USER)
    return _json(pause_body(True, changed)) if args.json else render_autopilot.pause_result(changed)


async def _resume(app: Api, args: argparse.Namespace) -> str:
    changed = app.resume_autopilot(CLI_USER)
    if args.json:
        return _json(pause_body(False, changed))
    return render_autopilot.resume_result(changed)


async def _migrate(app: Api, _: argparse.Namespace) -> str:
    return "Database is up to date."


COMMANDS: dict[str, tuple[Command, str]] = {
    "check": (_check, "current allocation vs targets, drift, and whether a rebalance is due"),
    "preview": (_preview, "the exact orders a rebalance would place now, and what is skipped"),
    "rebalance": (
        rebalance.rebalance,
        "preview, ask y/N, then place the orders and report each fill",
    ),
    "lock": (_lock, "freeze an asset out of rebalancing"),
    "unlock": (_unlock, "unfreeze an asset (or --all)"),
    "locked": (_locked, "list locked assets"),
    "targets": (_targets, "show the target weights, or set them: targets BTC=50,ETH=50"),
    "stats": (_stats, "rebalances, traded volume, fees, drift before/after"),
    "history": (_history, "the last N rebalances with their orders"),
    "status": (_status, "the autopilot: mode, paused or not, strategy, next check, last run, cap"),
    "pause": (_pause, "hold automatic rebalances (kept in the database) until resume"),
    "resume": (_resume, "let automatic rebalances run again"),
    "migrate": (_migrate, "apply database migrations and exit"),
    **cli_positions.COMMANDS,  # positions, basis, export
}


JSON_COMMANDS = ("check", "preview", "stats", "history", "locked", "targets")


def _add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, (_, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    sub.choices["rebalance"].add_argument(
        "--yes", action="store_true", help="do not ask (unattended); all checks still apply"
    )
    sub.choices["rebalance"].add_argument(
        "--force", action="store_true", help="with --yes: trade even when no rebalance is due"
    )
    sub.choices["lock"].add_argument("symbol")
    sub.choices["lock"].add_argument("--reason", default=None)
    sub.choices["unlock"].add_argument("symbol", nargs="?")
    sub.choices["unlock"].add_argument("--all", action="store_true")
    sub.choices["targets"].add_argument("spec", nargs="?", help="e.g. BTC=50,ETH=30,SOL=20")
    sub.choices["history"].add_argument("n", nargs="?", type=_positive, default=10)
    for name in JSON_COMMANDS:
        sub.choices[name].add_argument(
            "--json", action="store_true", help="print the HTTP API's JSON body instead"
        )
    for name in ("status", "pause", "resume"):
        sub.choices[name].add_argument("--json", action="store_true", help="print JSON")
    cli_positions.add_arguments(sub.choices)
    sub.add_parser("run", help="start the Telegram bot (long polling)")
    sub.add_parser("serve", help="serve the HTTP API alone (API_HOST:API_PORT), no Telegram")
    sub.add_parser(
        "healthcheck",
        help="exit 0 when the database answers and the bot is alive (with the HTTP API on, "
        "asks its health endpoint)",
    )
    maintenance.add_arguments(sub)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number (e.g. 5)")
    return value


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a malformed command line is one line on stderr (exit 2), like every
    other error, with where to look for the right form."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog="rebalance-bot",
        description="Keeps a Kraken portfolio at its target weights (paper or live).",
    )
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_arguments(cast("argparse._SubParsersAction[argparse.ArgumentParser]", commands))
    return p


async def _run(settings: Settings, args: argparse.Namespace) -> Output:
    command, _ = COMMANDS[args.command]
    async with open_rebalancer(settings) as app:
        result = await command(app, args)
    return result if isinstance(result, Output) else Output(result)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as e:
        print(f"rebalance-bot: configuration error: {e}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format, settings.secret_values())
    special = _special(settings, args)
    if special is not None:
        return special
    try:
        output = asyncio.run(_run(settings, args))
    except ConfigError as e:  # a setting found wrong only once the exchange was asked
        print(f"rebalance-bot: configuration error: {e}", file=sys.stderr)
        return 2
    except RebalanceError as e:
        return _fail(words.describe(e, args.command), args.debug, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: still one line unless --debug
        return _fail(f"unexpected error ({type(e).__name__}): {e}", args.debug, settings)
    try:
        print(output.text, flush=True)
    except BrokenPipeError:  # `| head` closed early: what was read is all that was wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return output.exit_code


def _special(settings: Settings, args: argparse.Namespace) -> int | None:
    """The commands that are not one Api call: the bot, the server, health, maintenance."""
    if args.command == "run":
        from bot.telegram.app import run_bot  # noqa: PLC0415 - the Telegram stack loads only for `run`

        return run_bot(settings)
    if args.command == "serve":
        from bot.http.server import serve  # noqa: PLC0415 - the web stack loads only for `serve`

        return asyncio.run(serve(settings))
    if args.command == "healthcheck" and settings.api_enabled:
        from bot.http.probe import probe  # noqa: PLC0415 - asks the running API's /healthz

        return probe(settings)
    if args.command == "healthcheck":
        return healthcheck(settings)
    if args.command in maintenance.COMMANDS:
        return maintenance.run(settings, args)
    return None


def _fail(message: str, debug: bool, settings: Settings) -> int:
    redactor = Redactor(settings.secret_values())  # a traceback may quote a URL or a header
    if debug:
        print(redactor.scrub(traceback.format_exc()), file=sys.stderr, end="")
    print(f"rebalance-bot: {redactor.scrub(message)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
