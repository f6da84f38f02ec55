"""The two database engines the store runs on, for tests: a SQLite file or a PostgreSQL server.

Tests marked `both_engines` run once per engine (ids `[sqlite]` and `[postgres]`), each on a
database of its own: a copy of a migrated SQLite file, or a PostgreSQL database created
from a migrated template (`CREATE DATABASE ... TEMPLATE`: the server copies it, no migration runs).

The PostgreSQL half needs a server: TEST_POSTGRES_URL names one, as a SQLAlchemy URL whose
user may create databases (`bash .ci/run` starts a throwaway server and sets it). Without
it those tests are skipped, and the run ends with one line saying so.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from core.store.db import upgrade

ENGINES = ("sqlite", "postgres")
POSTGRES_ENV = "TEST_POSTGRES_URL"
SKIPPED = f"PostgreSQL half: {POSTGRES_ENV} is not set"
HOW_TO_RUN = (
    f"to run it: `bash .ci/run` (starts a throwaway server), or set {POSTGRES_ENV} to a "
    f"server, e.g. {POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def postgres_url() -> str | None:
    """The server the PostgreSQL half runs on, if one was given."""
    return os.environ.get(POSTGRES_ENV) or None


class PostgresServer:
    """Creates and drops the tests' databases on the server named by TEST_POSTGRES_URL."""

    def __init__(self, url: str) -> None:
        self._url = make_url(url)
        self._admin = create_engine(self._url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def create(self, template: str | None = None) -> str:
        """A new, uniquely named database (a copy of `template` if given); its URL."""
        name = f"rbtest_{uuid.uuid4().hex[:16]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        self._run(f'CREATE DATABASE "{name}"{copy}')
        return self.url_of(name)

    def drop(self, url: str) -> None:
        """Drop a database made by `create`, closing whatever connections are left on it."""
        self._run(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def url_of(self, name: str) -> str:
        return self._url.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        self._admin.dispose()

    def _run(self, sql: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(sql))


class PostgresTemplate:
    """A database migrated to head once per session; each test gets its own copy."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._url = server.create()
        upgrade(self._url)

    def copy(self) -> str:
        return self.server.create(template=make_url(self._url).database)

    def close(self) -> None:
        self.server.drop(self._url)


def migrated_sqlite(directory: Path) -> Path:
    """A SQLite file migrated to head, to copy for each test."""
    path = directory / "rebalance.db"
    upgrade(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / "rebalance.db"
    shutil.copy2(template, path)
    return f"sqlite:///{path}"
