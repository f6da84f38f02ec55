"""SQLModel tables. Private to `core.store`: the rest of the core sees `records` only.

Money and amounts are `DecimalText` (exact text), times are `UtcDateTime` (aware, UTC).
No table has a column for a secret. The schema is created by the Alembic migrations in
`alembic/versions`; `SQLModel.metadata` here is what they are checked against.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Float, Integer, String, Text, false, true
from sqlmodel import Field, SQLModel

from core.store.coltypes import DecimalText, Label, UtcDateTime

# Stable constraint names, so later (batch) migrations on SQLite can address them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SYMBOL = String(32)  # "BTC" or "BTC/EUR"
USER = String(64)  # a Telegram user id as text, or "cli"
PLAN_ID = String(32)
ORDER_ID = String(64)  # client or exchange order id
STATUS = Label(16)  # statuses, sides, states: plain text codes
MODE = Label(8)  # the trading mode a plan or run was made in: "paper" or "live"


class TargetRow(SQLModel, table=True):
    __tablename__ = "targets"

    symbol: str = Field(sa_type=SYMBOL, primary_key=True)
    weight: Decimal = Field(sa_type=DecimalText)  # percent of the portfolio
    updated_at: datetime = Field(sa_type=UtcDateTime)


class LockRow(SQLModel, table=True):
    __tablename__ = "locks"

    symbol: str = Field(sa_type=SYMBOL, primary_key=True)
    locked_by: str = Field(sa_type=USER)
    locked_at: datetime = Field(sa_type=UtcDateTime)
    reason: str | None = Field(default=None, sa_type=Text)


class PlanRow(SQLModel, table=True):
    __tablename__ = "plans"

    id: str = Field(sa_type=PLAN_ID, primary_key=True)
    user_id: str = Field(sa_type=USER)
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(sa_type=STATUS)
    content_hash: str = Field(sa_type=String(128))
    prices_json: str = Field(sa_type=Text)  # {"BTC": "61234.5", ...}: the mids it used
    payload_json: str = Field(sa_type=Text)  # the whole plan, serialized by the caller
    executed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    mode: str = Field(sa_type=MODE, sa_column_kwargs={"server_default": "paper"})
    read_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # before the reads
    runs_seen: int | None = Field(default=None, sa_type=Integer)  # every run <= it had ended
    config_version: int | None = Field(default=None, sa_type=Integer)  # of locks and targets


class ExecutionLeaseRow(SQLModel, table=True):
    """One row (id=1, inserted by the first migration): who is executing right now.

    Times are the database's clock; the owner says which process holds it (host, pid, boot
    id, and a token unique to that process), so a restart can recognise a dead predecessor.
    """

    __tablename__ = "execution_lease"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(sa_type=Integer, primary_key=True, sa_column_kwargs={"autoincrement": False})
    plan_id: str | None = Field(default=None, sa_type=PLAN_ID)
    acquired_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    refreshed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    owner_host: str | None = Field(default=None, sa_type=String(255))
    owner_pid: int | None = Field(default=None, sa_type=Integer)
    owner_boot: str | None = Field(default=None, sa_type=String(64))
    owner_token: str | None = Field(default=None, sa_type=String(64))


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(sa_type=PLAN_ID, foreign_key="plans.id", index=True)
    user_id: str = Field(sa_type=USER)
    started_at: datetime = Field(sa_type=UtcDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    outcome: str = Field(sa_type=STATUS)
    drift_before: Decimal = Field(sa_type=DecimalText)
    drift_after: Decimal | None = Field(default=None, sa_type=DecimalText)
    traded_value: Decimal = Field(default=Decimal(0), sa_type=DecimalText)
    fees: Decimal = Field(default=Decimal(0), sa_type=DecimalText)
    duration_s: float = Field(default=0.0, sa_type=Float)
    orders_ok: int = Field(default=0, sa_type=Integer)
    orders_failed: int = Field(default=0, sa_type=Integer)
    orders_skipped: int = Field(default=0, sa_type=Integer)
    note: str = Field(default="", sa_type=Text)
    mode: str = Field(sa_type=MODE, sa_column_kwargs={"server_default": "paper"})
    trigger: str = Field(
        default="manual", sa_type=STATUS, sa_column_kwargs={"server_default": "manual"}
    )


class JournalRow(SQLModel, table=True):
    """One order of an execution: written as an intent before it is sent, then updated."""

    __tablename__ = "journal"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: str = Field(sa_type=PLAN_ID, foreign_key="plans.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="runs.id", index=True)
    client_order_id: str = Field(sa_type=ORDER_ID, unique=True)
    symbol: str = Field(sa_type=SYMBOL)
    side: str = Field(sa_type=STATUS)
    amount: Decimal = Field(sa_type=DecimalText)
    status: str = Field(sa_type=STATUS, index=True)
    exchange_order_id: str | None = Field(default=None, sa_type=ORDER_ID)
    filled_amount: Decimal = Field(default=Decimal(0), sa_type=DecimalText)
    average_price: Decimal | None = Field(default=None, sa_type=DecimalText)
    cost: Decimal = Field(default=Decimal(0), sa_type=DecimalText)
    fee: Decimal = Field(default=Decimal(0), sa_type=DecimalText)
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    mode: str | None = Field(default=None, sa_type=MODE)  # None: from before revision 0003


class FillRow(SQLModel, table=True):
    """What one order filled, for cost basis: one row per exchange order."""

    __tablename__ = "fills"

    id: int | None = Field(default=None, primary_key=True)
    client_order_id: str | None = Field(default=None, sa_type=ORDER_ID, index=True)
    exchange_order_id: str = Field(sa_type=ORDER_ID, unique=True)
    symbol: str = Field(sa_type=SYMBOL)
    side: str = Field(sa_type=STATUS)
    amount: Decimal = Field(sa_type=DecimalText)  # base units filled
    price: Decimal = Field(sa_type=DecimalText)  # average fill price
    cost: Decimal = Field(sa_type=DecimalText)  # quote units
    fee: Decimal = Field(sa_type=DecimalText)
    fee_currency: str = Field(sa_type=SYMBOL)
    filled_at: datetime = Field(sa_type=UtcDateTime, index=True)  # the exchange's close time
    mode: str = Field(sa_type=MODE, sa_column_kwargs={"server_default": "live"})
    run_id: int | None = Field(default=None, sa_type=Integer)  # the run it belonged to
    trigger: str = Field(default="", sa_type=STATUS, sa_column_kwargs={"server_default": ""})


class PaperBalanceRow(SQLModel, table=True):
    __tablename__ = "paper_balances"

    asset: str = Field(sa_type=SYMBOL, primary_key=True)
    amount: Decimal = Field(sa_type=DecimalText)


class PaperOrderRow(SQLModel, table=True):
    __tablename__ = "paper_orders"

    exchange_order_id: str = Field(sa_type=ORDER_ID, primary_key=True)
    client_order_id: str | None = Field(default=None, sa_type=ORDER_ID, index=True)
    symbol: str = Field(sa_type=SYMBOL)
    side: str = Field(sa_type=STATUS)
    state: str = Field(sa_type=STATUS)
    amount: Decimal = Field(sa_type=DecimalText)
    filled: Decimal = Field(sa_type=DecimalText)
    average_price: Decimal | None = Field(default=None, sa_type=DecimalText)
    cost: Decimal = Field(sa_type=DecimalText)
    fee: Decimal = Field(sa_type=DecimalText)
    created_at: datetime = Field(sa_type=UtcDateTime)  # first written (placed)
    reason: str = Field(default="", sa_type=Text)
    limit_price: Decimal | None = Field(default=None, sa_type=DecimalText)  # None: market
    order_type: str = Field(
        default="market", sa_type=STATUS, sa_column_kwargs={"server_default": "market"}
    )
    post_only: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    maker_share: Decimal | None = Field(default=None, sa_type=DecimalText)  # None: not said
    note: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # None: still open


class UserPrefRow(SQLModel, table=True):
    __tablename__ = "user_prefs"

    user_id: str = Field(sa_type=USER, primary_key=True)
    alerts_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": true()})


class KvRow(SQLModel, table=True):
    """Small state: alert 'armed' flags, a heartbeat, remembered holdings."""

    __tablename__ = "kv"

    key: str = Field(sa_type=String(128), primary_key=True)
    value: str = Field(sa_type=Text)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class LotAdjustmentRow(SQLModel, table=True):
    """A change of holdings the bot did not trade: an opening lot, a deposit, a withdrawal."""

    __tablename__ = "lot_adjustments"

    id: int | None = Field(default=None, primary_key=True)
    mode: str = Field(sa_type=MODE, index=True)
    asset: str = Field(sa_type=SYMBOL)
    kind: str = Field(sa_type=STATUS)  # opening, deposit, withdrawal
    amount: Decimal = Field(sa_type=DecimalText)  # base units, > 0
    price: Decimal = Field(sa_type=DecimalText)  # quote per unit (0 for withdrawals)
    happened_at: datetime = Field(sa_type=UtcDateTime)  # the lot's date in the ledger
    estimated: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    recorded_at: datetime = Field(sa_type=UtcDateTime)


class ValueSampleRow(SQLModel, table=True):
    """The account's valuation at one moment (at most one an hour), per mode."""

    __tablename__ = "value_samples"

    id: int | None = Field(default=None, primary_key=True)
    mode: str = Field(sa_type=MODE)
    quote: str = Field(sa_type=SYMBOL)
    taken_at: datetime = Field(sa_type=UtcDateTime, index=True)
    total: Decimal = Field(sa_type=DecimalText)
    values_json: str = Field(sa_type=Text)  # {"BTC": "20000", ...}: exact decimal strings
