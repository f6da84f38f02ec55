"""The unit of work every `Store` method runs in: commit at the end, roll back otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from core.errors import StorageError
from core.store.db import describe_error

# The database's own clock, in UTC: what leases are timed by (every process agrees on it).
_NOW_SQL = {
    "sqlite": "SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')",
    "postgresql": "SELECT clock_timestamp()",
}


class StoreBase:
    """Owns the Engine; subclasses add one group of methods each (see `repo.Store`).

    `clock` replaces the database's clock for leases (tests that move time by hand);
    without it, lease times come from the database server, never from this process.
    """

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self._engine = engine
        self._clock = clock

    def database_now(self) -> datetime:
        """The time by the database's clock (or the injected clock), aware, in UTC."""
        with self._unit() as session:
            return self._now(session)

    def _now(self, session: Session) -> datetime:
        if self._clock is not None:
            return self._clock()
        query = _NOW_SQL.get(self._engine.dialect.name, "SELECT CURRENT_TIMESTAMP")
        return _as_utc(session.connection().execute(text(query)).scalar_one())

    def close(self) -> None:
        """Release the connection pool; the Store must not be used afterwards."""
        self._engine.dispose()

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        """One transaction: committed if the block ends normally, rolled back otherwise.

        SQLAlchemy errors leave as `StorageError` (with the original as `__cause__`);
        other exceptions pass through unchanged, after the rollback.
        """
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                yield session
                session.commit()
        except SQLAlchemyError as e:
            raise StorageError(
                f"the database failed, nothing was changed: {describe_error(e)}"
            ) from e


def is_conflict(error: StorageError) -> bool:
    """Whether a StorageError came from a uniqueness or foreign-key violation."""
    return isinstance(error.__cause__, IntegrityError)


def _as_utc(value: object) -> datetime:
    """A database's idea of now (text on SQLite, a datetime elsewhere) as an aware UTC time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise StorageError(f"the database's clock answered {value!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
