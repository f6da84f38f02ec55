"""Initial schema: targets, locks, plans, execution lease, journal, runs, fills, paper
account, user preferences and small key/value state.

Revision ID: 0001
Revises:
Create Date: 2026-01-12

Written by hand from the autogenerate output. Column types are the storage types the
`core.store.coltypes` decorators sit on, so this script does not depend on app code:
exact decimals are TEXT, times are DateTime(timezone=True) holding UTC.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIMAL = sa.Text()  # core.store.coltypes.DecimalText
UTC_TIME = sa.DateTime(timezone=True)  # core.store.coltypes.UtcDateTime
SYMBOL = sa.String(length=32)
USER = sa.String(length=64)
PLAN_ID = sa.String(length=32)
ORDER_ID = sa.String(length=64)
STATUS = sa.String(length=16)


def upgrade() -> None:
    _create_settings_tables()
    _create_plan_tables()
    _create_execution_tables()
    _create_paper_tables()


def downgrade() -> None:
    for index, table in (
        (op.f("ix_journal_status"), "journal"),
        (op.f("ix_journal_run_id"), "journal"),
        (op.f("ix_journal_plan_id"), "journal"),
        (op.f("ix_runs_started_at"), "runs"),
        (op.f("ix_runs_plan_id"), "runs"),
        (op.f("ix_paper_orders_client_order_id"), "paper_orders"),
        (op.f("ix_fills_filled_at"), "fills"),
        (op.f("ix_fills_client_order_id"), "fills"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "journal",
        "runs",
        "execution_lease",
        "plans",
        "fills",
        "paper_orders",
        "paper_balances",
        "kv",
        "user_prefs",
        "locks",
        "targets",
    ):
        op.drop_table(table)


def _create_settings_tables() -> None:
    op.create_table(
        "targets",
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("weight", DECIMAL, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_targets")),
    )
    op.create_table(
        "locks",
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("locked_by", USER, nullable=False),
        sa.Column("locked_at", UTC_TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_locks")),
    )
    op.create_table(
        "user_prefs",
        sa.Column("user_id", USER, nullable=False),
        sa.Column("alerts_enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_prefs")),
    )
    op.create_table(
        "kv",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_kv")),
    )


def _create_plan_tables() -> None:
    op.create_table(
        "plans",
        sa.Column("id", PLAN_ID, nullable=False),
        sa.Column("user_id", USER, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("content_hash", sa.String(length=128), nullable=False),
        sa.Column("prices_json", sa.Text(), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.Column("executed_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    lease = op.create_table(
        "execution_lease",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("plan_id", PLAN_ID, nullable=True),
        sa.Column("acquired_at", UTC_TIME, nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_execution_lease_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_lease")),
    )
    op.bulk_insert(lease, [{"id": 1, "plan_id": None, "acquired_at": None}])


def _create_execution_tables() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", PLAN_ID, nullable=False),
        sa.Column("user_id", USER, nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("outcome", STATUS, nullable=False),
        sa.Column("drift_before", DECIMAL, nullable=False),
        sa.Column("drift_after", DECIMAL, nullable=True),
        sa.Column("traded_value", DECIMAL, nullable=False),
        sa.Column("fees", DECIMAL, nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("orders_ok", sa.Integer(), nullable=False),
        sa.Column("orders_failed", sa.Integer(), nullable=False),
        sa.Column("orders_skipped", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_runs_plan_id_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_index(op.f("ix_runs_plan_id"), "runs", ["plan_id"], unique=False)
    op.create_index(op.f("ix_runs_started_at"), "runs", ["started_at"], unique=False)
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", PLAN_ID, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("client_order_id", ORDER_ID, nullable=False),
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("side", STATUS, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("exchange_order_id", ORDER_ID, nullable=True),
        sa.Column("filled_amount", DECIMAL, nullable=False),
        sa.Column("average_price", DECIMAL, nullable=True),
        sa.Column("cost", DECIMAL, nullable=False),
        sa.Column("fee", DECIMAL, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_journal_plan_id_plans")),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_journal_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_journal_client_order_id")),
    )
    op.create_index(op.f("ix_journal_plan_id"), "journal", ["plan_id"], unique=False)
    op.create_index(op.f("ix_journal_run_id"), "journal", ["run_id"], unique=False)
    op.create_index(op.f("ix_journal_status"), "journal", ["status"], unique=False)
    op.create_table(
        "fills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_order_id", ORDER_ID, nullable=True),
        sa.Column("exchange_order_id", ORDER_ID, nullable=False),
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("side", STATUS, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column("cost", DECIMAL, nullable=False),
        sa.Column("fee", DECIMAL, nullable=False),
        sa.Column("fee_currency", SYMBOL, nullable=False),
        sa.Column("filled_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("exchange_order_id", name=op.f("uq_fills_exchange_order_id")),
    )
    op.create_index(op.f("ix_fills_client_order_id"), "fills", ["client_order_id"], unique=False)
    op.create_index(op.f("ix_fills_filled_at"), "fills", ["filled_at"], unique=False)


def _create_paper_tables() -> None:
    op.create_table(
        "paper_balances",
        sa.Column("asset", SYMBOL, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.PrimaryKeyConstraint("asset", name=op.f("pk_paper_balances")),
    )
    op.create_table(
        "paper_orders",
        sa.Column("exchange_order_id", ORDER_ID, nullable=False),
        sa.Column("client_order_id", ORDER_ID, nullable=True),
        sa.Column("symbol", SYMBOL, nullable=False),
        sa.Column("side", STATUS, nullable=False),
        sa.Column("state", STATUS, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("filled", DECIMAL, nullable=False),
        sa.Column("average_price", DECIMAL, nullable=True),
        sa.Column("cost", DECIMAL, nullable=False),
        sa.Column("fee", DECIMAL, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("exchange_order_id", name=op.f("pk_paper_orders")),
    )
    op.create_index(
        op.f("ix_paper_orders_client_order_id"), "paper_orders", ["client_order_id"], unique=False
    )
