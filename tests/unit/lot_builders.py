"""Tiny builders for lot-ledger inputs: fills and adjustments in EUR, a day apart by default."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.domain.lots import Adjustment, AdjustmentKind, Fill
from core.domain.models import Side
from tests.unit.builders import EUR, NOW

T0 = NOW - timedelta(days=30)


def day(n: int | float) -> datetime:
    """`n` days after T0."""
    return T0 + timedelta(days=n)


def fill(
    side: Side | str,
    amount: str | Decimal,
    price: str | Decimal,
    fee: str | Decimal = "0",
    *,
    at: datetime | None = None,
    asset: str = "ETH",
    **changes: Any,
) -> Fill:
    """A fill of `amount` at `price` (cost = amount × price), fee in EUR unless told."""
    amount, price = Decimal(amount), Decimal(price)
    values: dict[str, Any] = {
        "mode": "live",
        "asset": asset,
        "quote": EUR,
        "side": Side(side),
        "amount": amount,
        "price": price,
        "cost": amount * price,
        "fee": Decimal(fee),
        "fee_currency": EUR,
        "time": at or T0,
        "order_id": f"O-{side}-{amount}-{price}",
    }
    return Fill(**(values | changes))


def buy(amount: str, price: str, fee: str = "0", **changes: Any) -> Fill:
    return fill(Side.BUY, amount, price, fee, **changes)


def sell(amount: str, price: str, fee: str = "0", **changes: Any) -> Fill:
    return fill(Side.SELL, amount, price, fee, **changes)


def adjustment(
    kind: AdjustmentKind, amount: str, *, at: datetime = T0, asset: str = "ETH", **changes: Any
) -> Adjustment:
    values: dict[str, Any] = {"mode": "live", "asset": asset, "kind": kind, "time": at}
    return Adjustment(amount=Decimal(amount), **(values | changes))


def issue_example() -> tuple[Fill, ...]:
    """The issue's numbers: buy 1 ETH at 2,000 (fee 8), 1 at 3,000 (fee 12), sell 1.5 at 4,000."""
    return (
        buy("1", "2000", "8", at=day(0), order_id="B1"),
        buy("1", "3000", "12", at=day(1), order_id="B2"),
        sell("1.5", "4000", "24", at=day(2), order_id="S1"),
    )
