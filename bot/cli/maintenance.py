"""`rebalance-bot backup FILE` and `restore FILE`: the database copied out and put back.

They call `core.bootstrap` (no SQL here). Exit codes: 0 done; 1 failed (the message says
why); 2 a setting is wrong; 3 busy: a bot or a rebalance is running on the database (stop
it, or let it finish, then try again); 4 refused: the engine or the file (PostgreSQL:
pg_dump; not a rebalance-bot database; a schema newer than this version).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.bootstrap import backup_database, restore_database
from core.config import Settings
from core.errors import OperationRefused, RebalanceError

EXIT_DONE, EXIT_FAILED, EXIT_BUSY, EXIT_REFUSED = 0, 1, 3, 4
BUSY = frozenset({"instance_running", "restore_busy", "restore_unresolved"})
HINTS = {
    "restore_unresolved": "Run `rebalance-bot check` (it reconciles them first), then restore.",
    "restore_busy": (
        "Stop `rebalance-bot run` (or let the rebalance finish; the next start reconciles an "
        "interrupted one), then restore."
    ),
}
COMMANDS = {
    "backup": "write a consistent copy of the SQLite database to FILE (safe while the bot runs)",
    "restore": "put a backup FILE in place of the database (refused while a bot or run is busy)",
}


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text).add_argument(
            "file", type=Path, metavar="FILE"
        )


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Back up or restore; print one line; the exit code."""
    try:
        if args.command == "backup":
            size = backup_database(settings, args.file)
            print(f"Backed up the database to {args.file} ({size:,} bytes).")
        else:
            revision = restore_database(settings, args.file)
            print(f"Restored the database from {args.file} (schema {revision}, now up to date).")
    except OperationRefused as e:
        hint = HINTS.get(e.code, "")
        print(f"rebalance-bot: {e}" + (f". {hint}" if hint else ""), file=sys.stderr)
        return EXIT_BUSY if e.code in BUSY else EXIT_REFUSED
    except RebalanceError as e:
        print(f"rebalance-bot: {e}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_DONE
