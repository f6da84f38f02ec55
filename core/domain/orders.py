"""Order requests and results exchanged with an exchange port. Pure values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.domain.models import ZERO, Side


class OrderState(StrEnum):
    """What the exchange says of one order."""

    OPEN = "open"  # accepted, not (fully) filled yet
    FILLED = "filled"  # closed with everything filled
    PARTIAL = "partial"  # closed or canceled with part filled
    CANCELED = "canceled"  # closed with nothing filled
    REJECTED = "rejected"  # refused; never existed at the exchange


@dataclass(frozen=True)
class OrderRequest:
    """A market order to place. `client_id` goes to Kraken as `cl_ord_id`."""

    client_id: str
    symbol: str  # "BTC/EUR"
    side: Side
    amount: Decimal


@dataclass(frozen=True)
class OrderResult:
    """An order as the exchange reports it."""

    client_id: str | None
    exchange_id: str
    symbol: str
    side: Side
    state: OrderState
    amount: Decimal
    filled: Decimal = ZERO
    average_price: Decimal | None = None
    cost: Decimal = ZERO  # quote units actually traded
    fee: Decimal = ZERO  # in quote units
    reason: str = ""
    fee_currency: str = ""  # "" when the exchange does not say (Kraken: the quote, by default)
    closed_at: datetime | None = None  # when the exchange closed it, if it says

    @property
    def done(self) -> bool:
        return self.state is not OrderState.OPEN
