"""What execution needs to refuse stale plans, lease owners, and the mode of every order.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

- `plans.read_at`: when the plan's balances and prices were read (before the reads), so a
  run that started after it, or was still running then, supersedes the plan.
- `plans.runs_seen`: the newest run id such that every run up to it had finished when the
  data was read: a run that placed orders with a higher id supersedes the plan. Run ids are
  the database's sequence, so this holds whatever the processes' clocks say.
- `plans.config_version`: the version of the locks and targets the plan was made under.
- the `config.version` row in `kv`, bumped with every change of the locks or targets.
- `runs.trigger`: what started the run (`manual`; later `autopilot`, `api`).
- `journal.mode`, `fills.mode`: the trading mode of each order and fill.
- `execution_lease.refreshed_at` and the owner (host, pid, boot id, instance token): leases
  are timed by the database's clock, and a restarted process recognises its dead
  predecessor's lease on the same host.

The mode of orders from before revision 0002 is not known for sure: 0002 labelled every
old plan "paper". The evidence decides where there is some: an order the paper book holds
is paper; an order with an exchange id the paper book never issued, or of a plan labelled
live, is live; any other resolved order takes its plan's label. An unresolved order with no
evidence is left unlabelled (NULL): only a live process reconciles it, by asking Kraken,
which is safe either way (a paper order the paper book does not hold was never placed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODE = sa.String(length=8)
UTC_TIME = sa.DateTime(timezone=True)
UNRESOLVED = "('intent', 'sent', 'unknown', 'open')"
PAPER_CLIENT_IDS = "SELECT client_order_id FROM paper_orders WHERE client_order_id IS NOT NULL"

JOURNAL_MODES = (
    f"UPDATE journal SET mode = 'paper' WHERE client_order_id IN ({PAPER_CLIENT_IDS})",
    "UPDATE journal SET mode = 'live' WHERE mode IS NULL"
    " AND plan_id IN (SELECT id FROM plans WHERE mode = 'live')",
    "UPDATE journal SET mode = 'live' WHERE mode IS NULL AND exchange_order_id IS NOT NULL"
    " AND exchange_order_id NOT IN (SELECT exchange_order_id FROM paper_orders)",
    "UPDATE journal SET mode = (SELECT plans.mode FROM plans WHERE plans.id = journal.plan_id)"
    f" WHERE mode IS NULL AND status NOT IN {UNRESOLVED}",
)
FILL_MODES = (
    "UPDATE fills SET mode = 'paper'"
    " WHERE exchange_order_id IN (SELECT exchange_order_id FROM paper_orders)",
)


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("read_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("runs_seen", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("config_version", sa.Integer(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("trigger", sa.String(length=16), server_default="manual", nullable=False)
        )
    with op.batch_alter_table("journal") as batch:
        batch.add_column(sa.Column("mode", MODE, nullable=True))
    with op.batch_alter_table("fills") as batch:
        batch.add_column(sa.Column("mode", MODE, server_default="live", nullable=False))
    with op.batch_alter_table("execution_lease") as batch:
        batch.add_column(sa.Column("refreshed_at", UTC_TIME, nullable=True))
        batch.add_column(sa.Column("owner_host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("owner_pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_boot", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("owner_token", sa.String(length=64), nullable=True))
    for statement in (*JOURNAL_MODES, *FILL_MODES):
        op.execute(statement)
    op.execute("UPDATE execution_lease SET refreshed_at = acquired_at")
    op.execute(
        "INSERT INTO kv (key, value, updated_at) SELECT 'config.version', '1', CURRENT_TIMESTAMP"
        " WHERE NOT EXISTS (SELECT 1 FROM kv WHERE key = 'config.version')"
    )


def downgrade() -> None:
    op.execute("DELETE FROM kv WHERE key = 'config.version'")
    with op.batch_alter_table("execution_lease") as batch:
        for column in ("owner_token", "owner_boot", "owner_pid", "owner_host", "refreshed_at"):
            batch.drop_column(column)
    with op.batch_alter_table("fills") as batch:
        batch.drop_column("mode")
    with op.batch_alter_table("journal") as batch:
        batch.drop_column("mode")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("trigger")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("config_version")
        batch.drop_column("runs_seen")
        batch.drop_column("read_at")
