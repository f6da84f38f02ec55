"""The order journal (intent before sending, outcome after) and the fills for cost basis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, and_, col, or_, select, update

from core.app.records import FillRecord, JournalEntry
from core.domain.models import Side
from core.domain.statuses import UNRESOLVED, OrderStatus
from core.errors import StorageError
from core.store.modes import checked_mode
from core.store.repo_base import StoreBase
from core.store.tables import FillRow, JournalRow, PlanRow, RunRow


class JournalStore(StoreBase):
    def journal_intent(  # noqa: PLR0917 (positional, as the order desk calls it)
        self,
        plan_id: str,
        run_id: int | None,
        client_order_id: str,
        symbol: str,
        side: Side,
        amount: Decimal,
        now: datetime,
        *,
        mode: str,
    ) -> JournalEntry:
        """Record an order about to be sent in `mode`; committed before it is. Ids are unique."""
        row = JournalRow(
            plan_id=plan_id,
            run_id=run_id,
            client_order_id=client_order_id,
            symbol=symbol,
            side=side,
            amount=amount,
            status=OrderStatus.INTENT,
            created_at=now,
            updated_at=now,
            mode=checked_mode(mode),
        )
        with self._unit() as session:
            session.add(row)
            session.flush()
            return journal_entry(row)

    def journal_update(
        self,
        client_order_id: str,
        *,
        status: OrderStatus,
        exchange_order_id: str | None = None,
        filled_amount: Decimal | None = None,
        average_price: Decimal | None = None,
        cost: Decimal | None = None,
        fee: Decimal | None = None,
        error: str | None = None,
        now: datetime,
    ) -> JournalEntry:
        """Set the status, and whichever other fields are given (None keeps the old value)."""
        changes: dict[str, Any] = {
            "exchange_order_id": exchange_order_id,
            "filled_amount": filled_amount,
            "average_price": average_price,
            "cost": cost,
            "fee": fee,
            "error": error,
        }
        with self._unit() as session:
            row = _by_client_id(session, client_order_id)
            for name, value in changes.items():
                if value is not None:
                    setattr(row, name, value)
            row.status, row.updated_at = status, now
            session.flush()
            return journal_entry(row)

    def journal_unresolved(self, mode: str | None = None) -> list[JournalEntry]:
        """Orders whose outcome must still be asked of the exchange, oldest first.

        With `mode`, only the orders sent in that mode: a paper process must never decide a
        live order (it would ask the wrong exchange). Orders from before revision 0003 whose
        mode is unknown (NULL) are a live process's to decide: Kraken knows them if they
        were live, and one the paper book never held was never placed on paper either.
        """
        unresolved = col(JournalRow.status).in_(sorted(UNRESOLVED))
        if mode is None:
            return self._journal(unresolved)
        of_mode = col(JournalRow.mode) == mode
        if mode == "live":
            of_mode = or_(of_mode, col(JournalRow.mode).is_(None))
        return self._journal(and_(unresolved, of_mode))

    def label_live(self, client_order_ids: Sequence[str]) -> int:
        """Orders of unknown mode that a live process decided: they, their plans and their
        runs are live from now on (history, stats and recovery count them there)."""
        legacy = and_(
            col(JournalRow.client_order_id).in_(list(client_order_ids)),
            col(JournalRow.mode).is_(None),
        )
        with self._unit() as session:
            plans = set(session.exec(select(JournalRow.plan_id).where(legacy)).all())
            if not plans:
                return 0
            session.exec(update(JournalRow).where(legacy).values(mode="live"))
            session.exec(update(PlanRow).where(col(PlanRow.id).in_(plans)).values(mode="live"))
            session.exec(update(RunRow).where(col(RunRow.plan_id).in_(plans)).values(mode="live"))
            return len(plans)

    def journal_for_run(self, run_id: int) -> list[JournalEntry]:
        return self._journal(col(JournalRow.run_id) == run_id)

    def journal_for_plan(self, plan_id: str) -> list[JournalEntry]:
        return self._journal(col(JournalRow.plan_id) == plan_id)

    def journal_for_ids(self, client_order_ids: Sequence[str]) -> list[JournalEntry]:
        """The entries of these client order ids (unknown ids are absent), oldest first."""
        if not client_order_ids:
            return []
        return self._journal(col(JournalRow.client_order_id).in_(list(client_order_ids)))

    def _journal(self, where: Any) -> list[JournalEntry]:
        with self._unit() as session:
            rows = session.exec(select(JournalRow).where(where).order_by(col(JournalRow.id)))
            return [journal_entry(row) for row in rows]

    # --- Fills -------------------------------------------------------------------------
    def record_fill(self, fill: FillRecord) -> bool:
        """Keep what one exchange order filled; True if new, False if it replaced the old.

        Recording the same order twice (e.g. again at reconciliation) never counts it twice.
        """
        with self._unit() as session:
            old = session.exec(
                select(FillRow).where(col(FillRow.exchange_order_id) == fill.exchange_order_id)
            ).first()
            if old is None:
                session.add(FillRow(exchange_order_id=fill.exchange_order_id, **_fill_fields(fill)))
                return True
            for name, value in _fill_fields(fill).items():
                setattr(old, name, value)
            return False

    def fills(self, symbol: str | None = None, mode: str | None = None) -> list[FillRecord]:
        """Every recorded fill (of one symbol and mode if given), in the order they happened."""
        statement = select(FillRow).order_by(col(FillRow.filled_at), col(FillRow.id))
        if symbol is not None:
            statement = statement.where(col(FillRow.symbol) == symbol)
        if mode is not None:
            statement = statement.where(col(FillRow.mode) == mode)
        with self._unit() as session:
            return [_fill_record(row) for row in session.exec(statement)]


def _fill_fields(fill: FillRecord) -> dict[str, Any]:
    """Every column of a fill row but its keys."""
    return {
        "client_order_id": fill.client_order_id,
        "symbol": fill.symbol,
        "side": fill.side,
        "amount": fill.amount,
        "price": fill.price,
        "cost": fill.cost,
        "fee": fill.fee,
        "fee_currency": fill.fee_currency,
        "filled_at": fill.filled_at,
        "mode": checked_mode(fill.mode),
        "run_id": fill.run_id,
        "trigger": fill.trigger,
    }


def _by_client_id(session: Session, client_order_id: str) -> JournalRow:
    row = session.exec(
        select(JournalRow).where(col(JournalRow.client_order_id) == client_order_id)
    ).first()
    if row is None:
        raise StorageError(f"no journal entry has client order id {client_order_id}")
    return row


def journal_entry(row: JournalRow) -> JournalEntry:
    if row.id is None:
        raise StorageError("a journal entry was read before it had an id")
    return JournalEntry(
        id=row.id,
        plan_id=row.plan_id,
        run_id=row.run_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        amount=row.amount,
        status=OrderStatus(row.status),
        exchange_order_id=row.exchange_order_id,
        filled_amount=row.filled_amount,
        average_price=row.average_price,
        cost=row.cost,
        fee=row.fee,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        mode=row.mode,
    )


def _fill_record(row: FillRow) -> FillRecord:
    return FillRecord(
        exchange_order_id=row.exchange_order_id,
        client_order_id=row.client_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        amount=row.amount,
        price=row.price,
        cost=row.cost,
        fee=row.fee,
        fee_currency=row.fee_currency,
        filled_at=row.filled_at,
        mode=row.mode,
        run_id=row.run_id,
        trigger=row.trigger,
    )
