"""Maker-first records (revision 0006): planned orders worked maker-first, their legs (journal
rows naming them), every amend and cancel written before it is sent, and the /stats totals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, select

from core.app.maker_ports import (
    ChangeKind,
    ChangeStatus,
    Leg,
    LegIntent,
    MakerOrderRecord,
    MakerTotals,
)
from core.app.records import JournalEntry
from core.domain.models import ZERO, Side
from core.domain.statuses import OrderStatus
from core.errors import StorageError
from core.store.modes import checked_mode
from core.store.repo_base import StoreBase
from core.store.repo_journal import journal_entry
from core.store.tables import JournalRow, MakerOrderRow, OrderChangeRow


class MakerStore(StoreBase):
    def start_maker_order(self, record: MakerOrderRecord) -> None:
        row = MakerOrderRow(
            id=record.id,
            plan_id=record.plan_id,
            run_id=record.run_id,
            symbol=record.symbol,
            side=record.side,
            amount=record.amount,
            plan_mid=record.plan_mid,
            taker_fee=record.taker_fee,
            started_at=record.started_at,
            note=record.note,
            mode=checked_mode(record.mode),
        )
        with self._unit() as session:
            session.add(row)

    def finish_maker_order(self, maker_order_id: str, *, note: str, now: datetime) -> None:
        with self._unit() as session:
            row = session.get(MakerOrderRow, maker_order_id)
            if row is None:
                raise StorageError(f"no maker order {maker_order_id}")
            row.finished_at, row.note = now, note

    def unfinished_maker_orders(self, mode: str) -> list[MakerOrderRecord]:
        where = (col(MakerOrderRow.finished_at).is_(None)) & (col(MakerOrderRow.mode) == mode)
        with self._unit() as session:
            statement = select(MakerOrderRow).where(where).order_by(col(MakerOrderRow.started_at))
            rows = session.exec(statement)
            return [_maker_order(row) for row in rows]

    def journal_leg(self, leg: LegIntent, now: datetime) -> JournalEntry:
        row = JournalRow(
            plan_id=leg.plan_id,
            run_id=leg.run_id,
            client_order_id=leg.client_order_id,
            symbol=leg.symbol,
            side=leg.side,
            amount=leg.amount,
            status=OrderStatus.INTENT,
            created_at=now,
            updated_at=now,
            mode=checked_mode(leg.mode),
            maker_order_id=leg.maker_order_id,
            order_type=leg.order_type.value,
            limit_price=leg.limit_price,
            post_only=leg.post_only,
        )
        with self._unit() as session:
            session.add(row)
            session.flush()
            return journal_entry(row)

    def legs(self, maker_order_ids: Sequence[str]) -> list[Leg]:
        if not maker_order_ids:
            return []
        where = col(JournalRow.maker_order_id).in_(list(maker_order_ids))
        with self._unit() as session:
            rows = session.exec(select(JournalRow).where(where).order_by(col(JournalRow.id)))
            return [_leg(row) for row in rows]

    def journal_change(
        self,
        client_order_id: str,
        kind: ChangeKind,
        now: datetime,
        *,
        limit_price: Decimal | None = None,
        amount: Decimal | None = None,
    ) -> int:
        row = OrderChangeRow(
            client_order_id=client_order_id,
            kind=kind.value,
            limit_price=limit_price,
            amount=amount,
            status=ChangeStatus.INTENT.value,
            created_at=now,
            updated_at=now,
        )
        with self._unit() as session:
            session.add(row)
            session.flush()
            if row.id is None:
                raise StorageError("an order change was written without an id")
            return row.id

    def change_outcome(
        self, change_id: int, status: ChangeStatus, now: datetime, error: str | None = None
    ) -> None:
        with self._unit() as session:
            row = session.get(OrderChangeRow, change_id)
            if row is None:
                raise StorageError(f"no order change {change_id}")
            row.status, row.updated_at = status.value, now
            if error is not None:
                row.error = error

    def order_changes(self, client_order_id: str) -> list[tuple[str, str]]:
        """(kind, status) of each amend and cancel of one order, oldest first."""
        where = col(OrderChangeRow.client_order_id) == client_order_id
        with self._unit() as session:
            statement = select(OrderChangeRow).where(where).order_by(col(OrderChangeRow.id))
            rows = session.exec(statement)
            return [(row.kind, row.status) for row in rows]

    def maker_totals(self, mode: str) -> MakerTotals:
        statement = (
            select(JournalRow, MakerOrderRow)
            .join(MakerOrderRow, col(MakerOrderRow.id) == col(JournalRow.maker_order_id))
            .where(col(MakerOrderRow.mode) == mode)
        )
        filled = maker = fees = taker = ZERO
        with self._unit() as session:
            for leg, order in session.exec(statement):
                filled += leg.cost
                maker += leg.cost if leg.post_only else ZERO
                fees += leg.fee
                taker += leg.cost * order.taker_fee
        return MakerTotals(filled, maker, fees, taker)


def _leg(row: JournalRow) -> Leg:
    if row.maker_order_id is None:
        raise StorageError("a maker leg was read without its maker order")
    return Leg(journal_entry(row), row.post_only, row.limit_price, row.maker_order_id)


def _maker_order(row: MakerOrderRow) -> MakerOrderRecord:
    return MakerOrderRecord(
        id=row.id,
        plan_id=row.plan_id,
        run_id=row.run_id,
        symbol=row.symbol,
        side=Side(row.side),
        amount=row.amount,
        plan_mid=row.plan_mid,
        taker_fee=row.taker_fee,
        started_at=row.started_at,
        mode=row.mode,
        finished_at=row.finished_at,
        note=row.note,
    )
