"""Maker-first execution: the planned orders it works, their legs, and every amend and cancel.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

With ORDER_TYPE=maker-first one planned order may become several exchange orders (a
post-only limit, a re-placement after a post-only rejection, an immediate-or-cancel
fallback), each journaled before it is sent, like any order. So:
- `journal` gains `maker_order_id` (the planned order a leg works; NULL: a market order of
  its own), `order_type` (`market` or `limit`), `limit_price` (NULL for a market order) and
  `post_only`. Every existing row is a market order: the server defaults make it one.
- `maker_orders`: one row per planned order worked maker-first: its planned amount, the mid
  the plan valued it at, the pair's taker fee (for the fee saved), when it started and
  finished (NULL while working: a crash left it to reconciliation), a note, the mode.
- `order_changes`: every AmendOrder and CancelOrder, written (`intent`) before it is sent and
  updated after (`done`, `rejected`, or `unknown` when the answer was lost: the order is
  then read, never changed blindly again).

Downgrading drops both tables and the columns; the journal rows stay (a leg reads as an
order of its own, which it is).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIMAL = sa.Text()  # core.store.coltypes.DecimalText
UTC_TIME = sa.DateTime(timezone=True)
SYMBOL = sa.String(length=32)
PLAN_ID = sa.String(length=32)
ORDER_ID = sa.String(length=64)
STATUS = sa.String(length=16)
MODE = sa.String(length=8)
JOURNAL_COLUMNS = ("post_only", "limit_price", "order_type", "maker_order_id")


def upgrade() -> None:
    with op.batch_alter_table("journal") as batch:
        batch.add_column(sa.Column("maker_order_id", ORDER_ID, nullable=True))
        batch.add_column(sa.Column("order_type", STATUS, server_default="market", nullable=False))
        batch.add_column(sa.Column("limit_price", DECIMAL, nullable=True))
        batch.add_column(
            sa.Column("post_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.create_index(op.f("ix_journal_maker_order_id"), ["maker_order_id"], unique=False)
    _create_maker_orders()
    _create_order_changes()


def _create_maker_orders() -> None:
    op.create_table(
        "maker_orders",
        sa.Column("id", ORDER_ID, nullable=False),
        sa.Column("plan_id", PLAN_ID, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("side", STATUS, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("plan_mid", DECIMAL, nullable=False),
        sa.Column("taker_fee", DECIMAL, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("mode", MODE, nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_maker_orders_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_maker_orders_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maker_orders")),
    )
    op.create_index(op.f("ix_maker_orders_plan_id"), "maker_orders", ["plan_id"], unique=False)
    op.create_index(op.f("ix_maker_orders_run_id"), "maker_orders", ["run_id"], unique=False)


def _create_order_changes() -> None:
    op.create_table(
        "order_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_order_id", ORDER_ID, nullable=False),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("limit_price", DECIMAL, nullable=True),
        sa.Column("amount", DECIMAL, nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_changes")),
    )
    op.create_index(
        op.f("ix_order_changes_client_order_id"),
        "order_changes",
        ["client_order_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_order_changes_client_order_id"), table_name="order_changes")
    op.drop_table("order_changes")
    op.drop_index(op.f("ix_maker_orders_run_id"), table_name="maker_orders")
    op.drop_index(op.f("ix_maker_orders_plan_id"), table_name="maker_orders")
    op.drop_table("maker_orders")
    with op.batch_alter_table("journal") as batch:
        batch.drop_index(op.f("ix_journal_maker_order_id"))
        for column in JOURNAL_COLUMNS:
            batch.drop_column(column)
