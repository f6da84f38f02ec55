"""An in-memory `PaperBook`: what the SQL store keeps for the paper exchange, without SQL."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from core.domain.orders import OrderResult


class FakePaperBook:
    """Balances and orders in memory; `record_paper_order` writes both at once, like a commit.

    Like the store, recording an order id again updates that order in place (its first
    recording time is kept).
    """

    def __init__(self, balances: Mapping[str, Decimal] | None = None) -> None:
        self.balances: dict[str, Decimal] | None = None if balances is None else dict(balances)
        self.orders: list[OrderResult] = []
        self.recorded_at: list[datetime] = []
        self.seeded = 0

    def paper_balances(self) -> dict[str, Decimal] | None:
        return None if self.balances is None else dict(self.balances)

    def seed_paper_balances(self, balances: Mapping[str, Decimal]) -> None:
        self.seeded += 1
        self.balances = dict(balances)

    def record_paper_order(
        self, balances: Mapping[str, Decimal], order: OrderResult, now: datetime
    ) -> None:
        self.balances = dict(balances)
        ids = [o.exchange_id for o in self.orders]
        if order.exchange_id in ids:
            self.orders[ids.index(order.exchange_id)] = order
            return
        self.orders.append(order)
        self.recorded_at.append(now)

    def paper_orders(self) -> list[OrderResult]:
        return list(self.orders)
