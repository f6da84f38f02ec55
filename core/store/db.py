"""Engines and migrations.

`make_engine(url)` opens SQLite (owner-only file, WAL, busy timeout, foreign keys) or
PostgreSQL (`postgresql+psycopg://`) with one guarantee on both: **the units of work on one
database run one at a time**, each seeing everything committed before it (serializable
execution, with no retry loop and no deadlock). Isolation, engine by engine:

- SQLite: serialized writers. Every transaction starts with BEGIN IMMEDIATE under WAL, so it
  holds the database's one write lock from its first statement (no read-then-write upgrade
  race); a unit that waits longer than the busy timeout fails ("database is locked").
- PostgreSQL: READ COMMITTED (pinned, whatever the server's default), and every transaction
  first takes one transaction-level advisory lock, `pg_advisory_xact_lock`, released at its
  commit or rollback (or when its process dies). READ COMMITTED alone would do for the
  claims, which are conditional UPDATEs, but not for the rest: two replace-alls (the
  targets) racing would leave the union of both, two inserts-if-absent (kv, preferences,
  fills) would fail on the duplicate key, and two processes migrating a new database would
  collide. One lock, taken first, cannot deadlock; and as every READ COMMITTED statement
  reads the newest committed data, a unit sees all the units before it (under REPEATABLE
  READ its snapshot would predate the wait). A unit that waits longer than the lock timeout
  fails. Units are milliseconds long (no network call inside one): running them one at a
  time costs nothing at this scale.

Any other SQLAlchemy URL is opened as is. `upgrade(url)` applies the Alembic migrations in
`<repo>/alembic` up to head; the bot and the CLI call it at start. The migration scripts are
found next to the `core` package, so this works from a checkout and from the Docker image
(which copies the repository).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError, StatementError

from core.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

BUSY_TIMEOUT_MS = 5000  # SQLite's busy timeout and PostgreSQL's lock_timeout
UNIT_LOCK_KEY = 0x7265_6261_6C61_6E63  # "rebalanc": the advisory lock of every unit of work
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "alembic"
# The newest revision in alembic/versions (a test keeps the two in step). A database already
# there needs no Alembic at all, which spares every start the import of Alembic.
SCHEMA_HEAD = "0006"


def make_engine(url: str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    """An Engine for `url`; for a SQLite file, the file exists (mode 0600) before it opens.

    `busy_timeout_ms`: how long a SQLite write waits for another connection's lock.
    """
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return _postgres_engine(parsed)
    if backend != "sqlite":
        return _create(parsed, pool_pre_ping=True)
    path = _sqlite_path(parsed)
    if path is not None:
        _prepare_file(path)
    engine = _create(parsed)
    event.listen(engine, "connect", partial(_on_sqlite_connect, busy_timeout_ms=busy_timeout_ms))
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def migrations_dir() -> Path:
    """Where the Alembic scripts are: `<repo>/alembic`, beside the `core` package."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise StorageError(
            f"the database migrations are missing: expected {MIGRATIONS_DIR}/env.py "
            "(run from the repository or the Docker image, which both contain alembic/)"
        )
    return MIGRATIONS_DIR


def alembic_config(url: str | None = None) -> Config:
    """An Alembic Config built in code; `env.py` reads the URL from `attributes["url"]`.

    Without a URL, `env.py` falls back to DATABASE_URL from the settings.
    """
    from alembic.config import Config  # noqa: PLC0415 - only when migrating

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply the migrations to `revision` (default: the newest) in one transaction."""
    _run_migrations(url, "upgrade", revision)


def downgrade(url: str, revision: str) -> None:
    """Revert the migrations down to `revision` ("base" drops every table)."""
    _run_migrations(url, "downgrade", revision)


def sqlite_file_missing(url: str) -> bool:
    """Whether `url` names a SQLite file that does not exist (nothing to check, nothing to
    create: a health check must not conjure up an empty database)."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    path = _sqlite_path(parsed)
    return path is not None and not path.exists()


def sqlite_path(url: str) -> Path | None:
    """The SQLite file `url` names; None for another engine or an in-memory database."""
    parsed = _parse(url)
    return _sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None


def is_postgres(url: str) -> bool:
    return _parse(url).get_backend_name() == "postgresql"


def upgrade_if_behind(url: str) -> bool:
    """Migrate to the newest revision unless the database is there already; True if it ran."""
    if current_revision(url) == SCHEMA_HEAD:
        return False
    upgrade(url)
    return True


def current_revision(url: str) -> str | None:
    """The database's Alembic revision; None for an empty (or unreadable) database."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for migrations, committed only if they all succeed.

    On SQLite, foreign keys are off meanwhile (batch migrations recreate tables, which
    `PRAGMA foreign_keys=ON` forbids) and checked before the commit instead.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _pragma(connection, "foreign_keys=OFF")  # only effective outside a transaction
        try:
            with connection.begin():
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise StorageError("the migration left rows that break foreign keys")
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _run_migrations(url: str, step: str, revision: str) -> None:
    from alembic import command  # noqa: PLC0415 - only when migrating
    from alembic.util import CommandError  # noqa: PLC0415

    config = alembic_config(url)
    engine = make_engine(url)
    try:
        with migration_transaction(engine) as connection:
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)
    except (CommandError, SQLAlchemyError) as e:
        raise StorageError(f"database migration to {revision} failed: {describe_error(e)}") from e
    finally:
        engine.dispose()


def _pragma(connection: Connection, pragma: str) -> None:
    """Run a PRAGMA on the driver connection directly, outside SQLAlchemy's transaction."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA {pragma}")
    finally:
        cursor.close()


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as e:
        raise StorageError(f"DATABASE_URL is not a database URL: {e}") from e


def _create(url: URL, **kwargs: Any) -> Engine:
    try:
        return create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as e:
        raise StorageError(f"cannot use database {url.get_backend_name()}: {e}") from e


def _sqlite_path(url: URL) -> Path | None:
    """The file behind a SQLite URL; None for in-memory or `file:` URI databases."""
    database = url.database or ""
    if database in ("", ":memory:") or url.query.get("uri") or database.startswith("file:"):
        return None
    return Path(database)


def _prepare_file(path: Path) -> None:
    """Create the directory and an owner-only database file; tighten an existing one."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
    except OSError as e:
        raise StorageError(f"cannot create the database file {path}: {e.strerror}") from e


def _on_sqlite_connect(dbapi_connection: Any, _record: Any, *, busy_timeout_ms: int) -> None:
    """Per connection: WAL, a busy timeout, foreign keys; SQLAlchemy emits BEGIN itself."""
    dbapi_connection.isolation_level = None  # stop sqlite3's own (legacy) BEGIN handling
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    """Every unit of work takes the write lock up front: no read-then-write upgrade races."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_engine(url: URL) -> Engine:
    if url.drivername == "postgresql":  # no driver named: the one installed, psycopg 3
        url = url.set(drivername="postgresql+psycopg")
    engine = _create(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    event.listen(engine, "connect", _on_postgres_connect)
    event.listen(engine, "begin", _on_postgres_begin)
    return engine


def _on_postgres_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: give up on a lock after the same time SQLite gives up on its own."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
    dbapi_connection.commit()  # SET is transactional: keep it past the pool's rollbacks


def _on_postgres_begin(connection: Any) -> None:
    """Every unit of work waits for the others on this database to end, then runs alone."""
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UNIT_LOCK_KEY})")


def describe_error(error: BaseException) -> str:
    """One line: the driver's own words when there are some; never the SQL or parameters."""
    if isinstance(error, StatementError) and error.orig is not None:
        error = error.orig
    elif isinstance(error, SQLAlchemyError) and error.__cause__ is not None:
        error = error.__cause__
    elif isinstance(error, SQLAlchemyError):
        return type(error).__name__
    first = str(error).strip().splitlines()[:1]
    return f"{type(error).__name__}: {first[0]}" if first else type(error).__name__
