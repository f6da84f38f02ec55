"""The unit of work every `Store` method runs in: commit at the end, roll back otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from core.errors import StorageError
from core.store.db import describe_error


class StoreBase:
    """Owns the Engine; subclasses add one group of methods each (see `repo.Store`)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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
