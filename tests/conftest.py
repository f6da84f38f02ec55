"""Fixtures shared by every test folder: logging hygiene and the database of each test.

`db_url` is a migrated database of the test's own, `empty_db_url` an empty one; both are
SQLite files in `tmp_path` unless the test is marked `both_engines`, which runs it on each
engine in turn (see tests/databases.py for the PostgreSQL half and TEST_POSTGRES_URL).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from core.logs import NOISY_LOGGERS
from tests.databases import (
    ENGINES,
    HOW_TO_RUN,
    POSTGRES_ENV,
    SKIPPED,
    PostgresServer,
    PostgresTemplate,
    migrated_sqlite,
    postgres_url,
    sqlite_copy,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "both_engines: run on SQLite and on PostgreSQL, as [sqlite] and [postgres]"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `both_engines` that use a database run once per engine."""
    if "engine" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("both_engines") is None:
        return
    no_server = pytest.mark.skipif(postgres_url() is None, reason=SKIPPED)
    params = [pytest.param(e, marks=no_server if e == "postgres" else ()) for e in ENGINES]
    metafunc.parametrize("engine", params, indirect=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One plain line when the PostgreSQL half did not run, and how to run it."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if SKIPPED in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(
            f"PostgreSQL half skipped ({len(skipped)} tests): {POSTGRES_ENV} is not set; "
            f"{HOW_TO_RUN}",
            yellow=True,
        )


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The engine of this test's database: "sqlite" unless the test is on both engines."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    url = postgres_url()
    if url is None:
        pytest.skip(SKIPPED)
    server = PostgresServer(url)
    yield server
    server.close()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> Iterator[PostgresTemplate]:
    template = PostgresTemplate(postgres_server)
    yield template
    template.close()


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head; each test gets a copy of the file."""
    return migrated_sqlite(tmp_path_factory.mktemp("migrated"))


@pytest.fixture
def db_url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to head, this test's own (SQLite: `tmp_path/rebalance.db`)."""
    if engine == "sqlite":
        yield sqlite_copy(request.getfixturevalue("migrated_db"), tmp_path)
        return
    template: PostgresTemplate = request.getfixturevalue("postgres_template")
    url = template.copy()
    yield url
    template.server.drop(url)


@pytest.fixture
def empty_db_url(engine: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, this test's own (SQLite: `tmp_path/data/rebalance.db`, not there yet)."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'rebalance.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create()
    yield url
    server.drop(url)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that configure logging (directly or through `main`): put the process back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    noisy = {name: logging.getLogger(name).level for name in NOISY_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, noisy_level in noisy.items():
        logging.getLogger(name).setLevel(noisy_level)
    structlog.contextvars.clear_contextvars()
    structlog.reset_defaults()
