"""Copies of a SQLite database, taken and put back with SQLite's online backup API
(`sqlite3.Connection.backup`): a consistent snapshot even while the bot writes (under WAL
the copy reads one snapshot and never blocks the writer), and a restore that goes through
SQLite's own locking instead of replacing the file under open connections.

A backup is one self-contained file (rollback journal, not WAL), owner-only (0600), written
beside its target and renamed into place, so a half-written copy never bears the name.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from core.errors import OperationRefused, StorageError
from core.store.db import BUSY_TIMEOUT_MS, SCHEMA_HEAD, migrations_dir

# Tables every rebalance-bot database has had since revision 0001.
OUR_TABLES = frozenset({"alembic_version", "execution_lease", "plans", "runs", "journal"})


def backup_sqlite(database: Path, target: Path) -> int:
    """Copy `database` to `target` (replaced if there); the size of the copy in bytes."""
    if not database.is_file():
        raise StorageError(f"there is no database file at {database}")
    if target.exists() and target.resolve() == database.resolve():
        raise OperationRefused(
            f"{target} is the database itself: name another file",
            code="backup_onto_database",
            data={"file": str(target)},
        )
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        _owner_only(partial)
        with closing(_connect(str(database))) as source, closing(_connect(str(partial))) as copy:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as e:
        partial.unlink(missing_ok=True)
        raise StorageError(f"the backup to {target} failed: {e}") from e
    return target.stat().st_size


def backup_revision(path: Path) -> str:
    """The schema revision of the rebalance-bot database in `path`; OperationRefused when
    it is not one (not SQLite, damaged, other tables) or is newer than this code."""
    if not path.is_file():
        raise _not_ours(path, "there is no such file")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if OUR_TABLES - tables:
                raise _not_ours(path, "it is a SQLite database, but not rebalance-bot's")
            check = db.execute("PRAGMA quick_check").fetchone()
            revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as e:
        raise _not_ours(path, f"it is not a SQLite database ({e})") from e
    if check != ("ok",):
        raise _not_ours(path, "the file is damaged (SQLite's integrity check failed)")
    if revision is None or str(revision[0]) not in known_revisions():
        raise OperationRefused(
            f"{path} comes from a newer rebalance-bot (schema revision {revision and revision[0]}; "
            f"this version knows up to {SCHEMA_HEAD}): upgrade rebalance-bot, then restore it",
            code="restore_schema_newer",
            data={"file": str(path), "revision": revision and str(revision[0])},
        )
    return str(revision[0])


def restore_sqlite(source: Path, database: Path) -> None:
    """Write the backup `source` over `database` through SQLite's backup API."""
    try:
        with (
            closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as backup,
            closing(_connect(str(database))) as target,
        ):
            backup.backup(target)
    except sqlite3.Error as e:
        raise StorageError(f"the restore from {source} failed: {e}") from e


def known_revisions() -> set[str]:
    """Every schema revision this code has a migration for."""
    return {path.name.split("_", 1)[0] for path in (migrations_dir() / "versions").glob("*.py")}


def _connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return connection


def _owner_only(path: Path) -> None:
    os.close(os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600))


def _not_ours(path: Path, why: str) -> OperationRefused:
    return OperationRefused(
        f"{path} is not a rebalance-bot database: {why}",
        code="restore_not_a_database",
        data={"file": str(path)},
    )
