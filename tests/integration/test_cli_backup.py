"""`rebalance-bot backup FILE` and `restore FILE` through the CLI, on a real SQLite file: the
copy is consistent and restores what it held; restore refuses what is not a backup, a
newer schema, a database a bot or a run is busy on; PostgreSQL points to pg_dump."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.app.records import LeaseOwner
from core.store.db import SCHEMA_HEAD, current_revision, make_engine, upgrade
from core.store.repo import Store
from tests.integration.cli_harness import Cli, use_paper_env

pytestmark = pytest.mark.usefixtures("restore_logging")  # see tests/conftest.py
EXIT_BUSY, EXIT_REFUSED = 3, 4
OTHER_BOT = LeaseOwner(host="pi", pid=4242, boot="boot-elsewhere", token="token-4242")


@pytest.fixture(autouse=True)
def paper_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str) -> None:
    use_paper_env(monkeypatch, tmp_path, db_url)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(make_engine(db_url))
    yield store
    store.close()


@pytest.fixture
def backup(cli: Cli, tmp_path: Path) -> Path:
    """A backup taken with targets BTC=50,ETH=50."""
    cli.ok("targets", "BTC=50,ETH=50")
    path = tmp_path / "backups" / "rebalance-backup.db"
    path.parent.mkdir()
    assert cli.ok("backup", str(path)).startswith(f"Backed up the database to {path}")
    return path


def test_a_restore_puts_back_what_the_backup_held(cli: Cli, backup: Path) -> None:
    cli.ok("targets", "BTC=20,ETH=80")
    out = cli.ok("restore", str(backup))
    assert out.startswith(f"Restored the database from {backup} (schema {SCHEMA_HEAD}")
    targets = cli.ok("targets")
    assert "50.00%" in targets and "80.00%" not in targets


def test_a_backup_is_one_owner_only_file_that_sqlite_checks_clean(backup: Path) -> None:
    assert backup.stat().st_mode & 0o777 == 0o600
    assert not backup.with_name(backup.name + "-wal").exists()
    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert list(backup.parent.iterdir()) == [backup]  # no partial file left beside it


def test_a_backup_onto_the_database_itself_is_refused(cli: Cli, db_url: str) -> None:
    cli.ok("targets")
    result = cli("backup", db_url.removeprefix("sqlite:///"))
    assert result.code == EXIT_REFUSED
    assert "is the database itself" in result.err


def test_a_postgresql_database_is_pointed_to_pg_dump(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bot@127.0.0.1:1/rebalance")
    for command in ("backup", "restore"):
        result = cli(command, str(tmp_path / "x.db"))
        assert result.code == EXIT_REFUSED, result
        assert "pg_dump" in result.err and len(result.err_lines) == 1


def test_a_file_that_is_not_a_database_is_refused_and_nothing_changes(
    cli: Cli, tmp_path: Path
) -> None:
    cli.ok("targets", "BTC=50,ETH=50")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE songs (title TEXT)")
    for path, why in (
        (notes, "not a SQLite database"),
        (other, "a SQLite database, but not rebalance-bot's"),
    ):
        result = cli("restore", str(path))
        assert result.code == EXIT_REFUSED, result
        assert f"{path} is not a rebalance-bot database: it is {why}" in result.err
    assert "50.00%" in cli.ok("targets")
    assert cli("restore", str(tmp_path / "missing.db")).code == EXIT_REFUSED


def test_a_backup_from_a_newer_version_is_refused(cli: Cli, backup: Path) -> None:
    with sqlite3.connect(backup) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    result = cli("restore", str(backup))
    assert result.code == EXIT_REFUSED
    assert "comes from a newer rebalance-bot (schema revision 0099" in result.err


def test_a_backup_from_an_older_version_is_restored_and_migrated(
    cli: Cli, tmp_path: Path, db_url: str
) -> None:
    old = tmp_path / "old.db"
    upgrade(f"sqlite:///{old}", "0003")
    cli.ok("restore", str(old))
    assert current_revision(db_url) == SCHEMA_HEAD


def test_a_restore_is_refused_while_a_bot_heartbeat_is_fresh(
    cli: Cli, backup: Path, store: Store
) -> None:
    assert store.claim_instance(OTHER_BOT, 180, lambda _owner: False) is None
    result = cli("restore", str(backup))
    assert result.code == EXIT_BUSY
    assert "a bot is running on this database (host pi, pid 4242" in result.err
    store.release_instance(OTHER_BOT)
    cli.ok("restore", str(backup))


def test_a_restore_is_refused_while_an_execution_holds_the_account(
    cli: Cli, backup: Path, store: Store
) -> None:
    assert store.acquire_lease("plan-1", OTHER_BOT, 300)  # an execution holds the account
    result = cli("restore", str(backup))
    assert result.code == EXIT_BUSY
    assert "a rebalance is in progress on this database" in result.err


def test_a_restored_copy_records_no_bot(cli: Cli, backup: Path, store: Store) -> None:
    assert store.claim_instance(OTHER_BOT, 180, lambda _owner: False) is None
    cli.ok("backup", str(backup))  # taken while that bot runs: it is recorded in the copy
    store.release_instance(OTHER_BOT)
    cli.ok("restore", str(backup))
    assert store.instance_beat() is None


def test_a_backup_restores_into_a_database_that_is_not_there_yet(
    cli: Cli, backup: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fresh = tmp_path / "new" / "rebalance.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{fresh}")
    cli.ok("restore", str(backup))
    assert "50.00%" in cli.ok("targets")
    assert fresh.stat().st_mode & 0o777 == 0o600


def test_a_backup_of_a_database_that_is_not_there_fails_and_creates_nothing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{missing}")
    result = cli("backup", str(tmp_path / "copy.db"))
    assert result.code == 1
    assert f"there is no database file at {missing}" in result.err
    assert not missing.exists() and not (tmp_path / "copy.db").exists()
