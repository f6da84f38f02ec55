"""The paper account's book (implements `core.app.ports.PaperBook` for the paper exchange)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, delete, select

from core.domain.models import Side
from core.domain.orders import OrderResult, OrderType
from core.domain.statuses import OrderStatus
from core.store.repo_base import StoreBase
from core.store.tables import KvRow, PaperBalanceRow, PaperOrderRow

SEEDED_KEY = "paper.seeded_at"  # present once the book has been seeded (even if empty)


class PaperStore(StoreBase):
    def paper_balances(self) -> dict[str, Decimal] | None:
        """The paper holdings by asset; None until the book is seeded."""
        with self._unit() as session:
            if session.get(KvRow, SEEDED_KEY) is None:
                return None
            rows = session.exec(select(PaperBalanceRow).order_by(col(PaperBalanceRow.asset)))
            return {row.asset: row.amount for row in rows}

    def seed_paper_balances(self, balances: Mapping[str, Decimal]) -> None:
        """Start (or restart) the paper book with exactly these holdings."""
        with self._unit() as session:
            _replace_balances(session, balances)
            session.merge(KvRow(key=SEEDED_KEY, value="seeded", updated_at=_wall_clock()))

    def record_paper_order(
        self, balances: Mapping[str, Decimal], order: OrderResult, now: datetime
    ) -> None:
        """Write the holdings after `order` and the order itself in ONE transaction.

        `balances` is the whole book (assets left out are removed). Recording an order
        id again updates it and keeps its first `created_at`.
        """
        with self._unit() as session:
            _replace_balances(session, balances)
            session.merge(KvRow(key=SEEDED_KEY, value="seeded", updated_at=now))
            old = session.get(PaperOrderRow, order.exchange_id)
            session.merge(_order_row(order, now if old is None else old.created_at))

    def paper_orders(self) -> list[OrderResult]:
        """Every paper order, oldest first."""
        statement = select(PaperOrderRow).order_by(
            col(PaperOrderRow.created_at), col(PaperOrderRow.exchange_order_id)
        )
        with self._unit() as session:
            return [_order_result(row) for row in session.exec(statement)]


def _replace_balances(session: Session, balances: Mapping[str, Decimal]) -> None:
    session.exec(delete(PaperBalanceRow))
    session.add_all(PaperBalanceRow(asset=a, amount=v) for a, v in balances.items())


def _wall_clock() -> datetime:
    """Seeding is given no time (the Protocol has none); this stamp is informative only."""
    return datetime.now(UTC)


def _order_row(order: OrderResult, created_at: datetime) -> PaperOrderRow:
    return PaperOrderRow(
        exchange_order_id=order.exchange_id,
        client_order_id=order.client_id,
        symbol=order.symbol,
        side=order.side,
        state=order.state,
        amount=order.amount,
        filled=order.filled,
        average_price=order.average_price,
        cost=order.cost,
        fee=order.fee,
        created_at=created_at,
        reason=order.reason,
        limit_price=order.limit_price,
        order_type=order.order_type,
        post_only=order.post_only,
        maker_share=order.maker_share,
        note=order.note,
        closed_at=order.closed_at,
    )


def _order_result(row: PaperOrderRow) -> OrderResult:
    return OrderResult(
        client_id=row.client_order_id,
        exchange_id=row.exchange_order_id,
        symbol=row.symbol,
        side=Side(row.side),
        state=OrderStatus(row.state),
        amount=row.amount,
        filled=row.filled,
        average_price=row.average_price,
        cost=row.cost,
        fee=row.fee,
        reason=row.reason,
        order_type=OrderType(row.order_type),
        limit_price=row.limit_price,
        post_only=row.post_only,
        maker_share=row.maker_share,
        note=row.note,
        closed_at=row.closed_at,
    )
