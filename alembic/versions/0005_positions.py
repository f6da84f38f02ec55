"""Positions: what a fill's run was, the lot adjustments, and hourly value samples.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

The lot ledger (core/domain/ledger.py) is replayed from the fills table and the adjustments;
this revision adds what it and the fills export need:
- `fills.run_id`, `fills.trigger`: the run an order belonged to and what started it, so the
  fills table alone holds every column of `rebalance-bot export fills`. Existing fills take
  them from their journal entry and its run (a fill without one keeps NULL and '').
- `lot_adjustments`: holdings the bot did not trade. An `opening` lot per asset for what
  predates the bot (at the valuation price first seen, estimated until the owner states a
  price), and `deposit`/`withdrawal` rows for what a sync with the exchange found changed
  outside the bot. Per trading mode, never mixed.
- `value_samples`: the account's valuation at most once an hour (total and per asset, JSON of
  exact decimal strings), per mode.

Downgrading drops the two tables and the two columns; the fills rows stay.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIMAL = sa.Text()  # core.store.coltypes.DecimalText
UTC_TIME = sa.DateTime(timezone=True)
STATUS = sa.String(length=16)
MODE = sa.String(length=8)
SYMBOL = sa.String(length=32)

FILL_RUNS = (
    "UPDATE fills SET run_id = (SELECT journal.run_id FROM journal"
    " WHERE journal.client_order_id = fills.client_order_id)"
    " WHERE client_order_id IS NOT NULL",
    "UPDATE fills SET trigger = COALESCE((SELECT runs.trigger FROM runs"
    " WHERE runs.id = fills.run_id), '') WHERE run_id IS NOT NULL",
)


def upgrade() -> None:
    with op.batch_alter_table("fills") as batch:
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("trigger", STATUS, server_default="", nullable=False))
    for statement in FILL_RUNS:
        op.execute(statement)
    op.create_table(
        "lot_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", MODE, nullable=False),
        sa.Column("asset", SYMBOL, nullable=False),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column("happened_at", UTC_TIME, nullable=False),
        sa.Column("estimated", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot_adjustments")),
    )
    op.create_index(op.f("ix_lot_adjustments_mode"), "lot_adjustments", ["mode"], unique=False)
    op.create_table(
        "value_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", MODE, nullable=False),
        sa.Column("quote", SYMBOL, nullable=False),
        sa.Column("taken_at", UTC_TIME, nullable=False),
        sa.Column("total", DECIMAL, nullable=False),
        sa.Column("values_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_value_samples")),
    )
    op.create_index(op.f("ix_value_samples_taken_at"), "value_samples", ["taken_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_value_samples_taken_at"), table_name="value_samples")
    op.drop_table("value_samples")
    op.drop_index(op.f("ix_lot_adjustments_mode"), table_name="lot_adjustments")
    op.drop_table("lot_adjustments")
    with op.batch_alter_table("fills") as batch:
        batch.drop_column("trigger")
        batch.drop_column("run_id")
