"""The trading mode ("paper" or "live") of every run and every plan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

One database may serve paper mode first and live mode later (same DATABASE_URL), so runs
and plans record the mode they were made in: the cooldown, stats and history then count
the current mode only, and a plan made in one mode is never executed in the other.

Rows that exist before this revision are marked "paper" (the server default). Those
databases were most likely used in paper mode (the default TRADING_MODE, and the way a
user tries the bot first); the alternative, "live", would let old simulated runs start
the live cooldown and show up in the live stats. Someone who already traded live on
such a database can set `mode = 'live'` on those rows by hand.

SQLite runs these in batch mode (render_as_batch in env.py): adding the columns is a plain
ALTER TABLE, dropping them recreates the tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODE = sa.String(length=8)  # "paper" or "live"
TABLES = ("plans", "runs")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("mode", MODE, server_default="paper", nullable=False))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("mode")
