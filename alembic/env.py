"""Alembic environment for the rebalance bot's store.

The database URL is never written here. In order of precedence it comes from:
1. `config.attributes["connection"]`: an open connection (what `core.store.db.upgrade` passes),
2. `config.attributes["url"]`, set by `core.store.db.alembic_config(url)`,
3. DATABASE_URL (environment or .env), through `core.config.load_settings()`: what the
   `alembic` command line uses.
Engines come from `core.store.db.make_engine` (SQLite: owner-only file, WAL, foreign keys;
both engines: one unit of work at a time, so two processes starting at once migrate once);
SQLite migrations are rendered in batch mode so later ALTERs work there too, and run with
foreign keys off, checked before the commit (`core.store.db.migration_transaction`).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import core.store.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from core.config import load_settings
from core.store.db import make_engine, migration_transaction

config = context.config
target_metadata = SQLModel.metadata


def database_url() -> str:
    url = config.attributes.get("url")
    return str(url) if url else load_settings().database_url


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(database_url())
    try:
        with migration_transaction(engine) as new_connection:
            run_migrations(new_connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=make_url(url).get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
