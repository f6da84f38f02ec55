"""The transactions `Store` methods run in, and the unit of work that groups several.

Outside a unit of work each method is one transaction (committed at its end, rolled back
otherwise). `with store.unit_of_work() as uow:` makes the methods called in the block share
one session, committed only by `uow.commit()`: a block that ends without it, or with an
exception, writes nothing. The session is per task and thread (a ContextVar), so concurrent
tasks on one Store never share a transaction; a block must not await (the store is
synchronous: nothing else runs meanwhile on the event loop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
        self._session: ContextVar[Session | None] = ContextVar(f"store-{id(self)}", default=None)

    @contextmanager
    def unit_of_work(self) -> Iterator[_UnitOfWork]:
        """Several calls as one transaction: committed by `commit()`, else rolled back."""
        if self._session.get() is not None:
            raise StorageError("a unit of work is already open: they do not nest")
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                token = self._session.set(session)
                try:
                    yield _UnitOfWork(session)
                finally:
                    self._session.reset(token)
                    session.rollback()  # what was not committed is undone
        except SQLAlchemyError as e:
            raise StorageError(f"the database failed: {describe_error(e)}") from e

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
        outer = self._session.get()
        if outer is not None:  # inside a unit of work: its transaction, its commit
            try:
                yield outer
            except SQLAlchemyError as e:
                raise StorageError(f"the database failed: {describe_error(e)}") from e
            return
        try:
            with Session(self._engine, expire_on_commit=False) as session:
                yield session
                session.commit()
        except SQLAlchemyError as e:
            raise StorageError(
                f"the database failed (this write was rolled back): {describe_error(e)}"
            ) from e


class _UnitOfWork:
    def __init__(self, session: Session) -> None:
        self._session = session

    def commit(self) -> None:
        try:
            self._session.commit()
        except SQLAlchemyError as e:
            raise StorageError(f"the database failed: {describe_error(e)}") from e


def is_conflict(error: StorageError) -> bool:
    """Whether a StorageError came from a uniqueness or foreign-key violation."""
    return isinstance(error.__cause__, IntegrityError)


def _as_utc(value: object) -> datetime:
    """A database's idea of now (text on SQLite, a datetime elsewhere) as an aware UTC time."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        raise StorageError(f"the database's clock answered {value!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
