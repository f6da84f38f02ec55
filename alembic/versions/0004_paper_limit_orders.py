"""What a resting paper order needs: its limit, its kind, and when it closed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05

The paper exchange simulates limit orders (post-only, IOC, resting until live prices trade
through them), so `paper_orders` keeps what the order result carries:
- `limit_price` (exact decimal text; NULL for a market order),
- `order_type` (`market` or `limit`), `post_only`,
- `maker_share`: the share of the filled amount that traded as maker (NULL: not said),
- `note`: e.g. that a maker fill on the bundled snapshot was assumed at the limit,
- `closed_at`: when the order filled or was cancelled. A resting order closes after it was
  written (`created_at`), so the close time can no longer be read from the creation time.

Every paper order from before this revision is a market order, filled at once: the server
defaults make it one (`market`, not post-only, no note) and its `closed_at` is its
`created_at`, the time that was read as its close time until now.

Downgrading drops the columns and keeps the rows. Revision 0003's paper exchange cannot
simulate a resting order, so one still open is cancelled first (it holds funds only while
open, and a paper order fills in full or not at all: nothing of it had filled).

SQLite runs these in batch mode (render_as_batch in env.py): adding the columns is a plain
ALTER TABLE, dropping them recreates the table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DECIMAL = sa.Text()  # core.store.coltypes.DecimalText
UTC_TIME = sa.DateTime(timezone=True)
STATUS = sa.String(length=16)
DOWNGRADE_CANCEL = "paper: cancelled by the downgrade to revision 0003"
COLUMNS = ("closed_at", "note", "maker_share", "post_only", "order_type", "limit_price")


def upgrade() -> None:
    with op.batch_alter_table("paper_orders") as batch:
        batch.add_column(sa.Column("limit_price", DECIMAL, nullable=True))
        batch.add_column(sa.Column("order_type", STATUS, server_default="market", nullable=False))
        batch.add_column(
            sa.Column("post_only", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("maker_share", DECIMAL, nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("closed_at", UTC_TIME, nullable=True))
    op.execute("UPDATE paper_orders SET closed_at = created_at WHERE state <> 'open'")


def downgrade() -> None:
    op.execute(
        f"UPDATE paper_orders SET state = 'canceled', reason = '{DOWNGRADE_CANCEL}'"
        " WHERE state = 'open'"
    )
    with op.batch_alter_table("paper_orders") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
