"""The fill of a journaled order: its pair and mode are the journal's, its time the
exchange's close time. An order whose pair left the exchange's catalogue still records."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.app.journal import fill_record
from core.app.records import JournalEntry
from core.domain.models import Side
from core.domain.orders import OrderResult
from core.domain.statuses import OrderStatus
from tests.unit.builders import NOW

ENTRY = JournalEntry(
    1, "plan-1", 1, "cl-1", "BTC/EUR", Side.SELL, Decimal("0.1"), OrderStatus.SENT, None,
    Decimal(0), None, Decimal(0), Decimal(0), None, NOW, NOW, "live",
)  # fmt: skip
CLOSED = NOW - timedelta(seconds=3)


def result(symbol: str, **changes: object) -> OrderResult:
    values: dict[str, object] = {
        "client_id": "cl-1", "exchange_id": "OX-1", "symbol": symbol, "side": Side.SELL,
        "state": OrderStatus.FILLED, "amount": Decimal("0.1"), "filled": Decimal("0.1"),
        "average_price": Decimal(40000), "cost": Decimal(4000), "fee": Decimal(16),
        "closed_at": CLOSED,
    }  # fmt: skip
    return OrderResult(**(values | changes))  # type: ignore[arg-type]


def test_a_fill_of_a_pair_no_longer_in_the_catalogue_takes_the_journals_pair() -> None:
    fill = fill_record(ENTRY, result("XXBTZEUR"), NOW)  # the exchange's own pair id
    assert (fill.symbol, fill.fee_currency) == ("BTC/EUR", "EUR")


def test_a_fill_keeps_the_exchanges_close_time_and_the_orders_mode() -> None:
    fill = fill_record(ENTRY, result("BTC/EUR"), NOW)
    assert (fill.filled_at, fill.mode) == (CLOSED, "live")


def test_a_fill_without_a_close_time_takes_the_moment_it_was_recorded() -> None:
    fill = fill_record(ENTRY, result("BTC/EUR", closed_at=None), NOW)
    assert fill.filled_at == NOW


def test_a_fill_whose_fee_the_exchange_charged_in_another_currency_says_so() -> None:
    fill = fill_record(ENTRY, result("BTC/EUR", fee_currency="BTC"), NOW)
    assert fill.fee_currency == "BTC"
