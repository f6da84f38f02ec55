"""The fills and lots exports' CSV shapes: exact columns, exact decimal strings, UTC times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.exports import (
    FILL_COLUMNS,
    LOT_COLUMNS,
    decimal_text,
    fill_rows,
    fills_since,
    iso_utc,
    lot_rows,
)
from core.domain.ledger import build_ledger
from core.domain.lots import AdjustmentKind
from tests.unit.builders import EUR
from tests.unit.lot_builders import adjustment, buy, day, issue_example, sell


def test_the_fills_export_has_exactly_the_issue_columns_in_order() -> None:
    assert fill_rows([])[0] == (
        "time",
        "mode",
        "side",
        "asset",
        "amount",
        "price",
        "cost",
        "fee",
        "fee_currency",
        "quote",
        "order_id",
        "client_order_id",
        "run_id",
        "trigger",
    )
    assert fill_rows([])[0] == FILL_COLUMNS


def test_a_fill_row_holds_exact_decimal_strings_and_its_utc_close_time() -> None:
    paris = timezone(timedelta(hours=1))
    f = buy(
        "0.00000001",
        "91234.5",
        "0.0000036494",
        at=datetime(2026, 1, 12, 13, 4, 5, 250000, tzinfo=paris),
        order_id="OQCLML-BW3P3-BUCMWZ",
        client_order_id="rb-1-2",
        run_id=7,
        trigger="telegram",
    )

    [_, row] = fill_rows([f])

    assert row == (
        "2026-01-12T12:04:05.250000Z",
        "live",
        "buy",
        "ETH",
        "0.00000001",
        "91234.5",
        "0.000912345",
        "0.0000036494",
        "EUR",
        "EUR",
        "OQCLML-BW3P3-BUCMWZ",
        "rb-1-2",
        "7",
        "telegram",
    )


def test_missing_ids_are_empty_cells_and_rows_come_in_time_order() -> None:
    later, earlier = sell("1", "10", at=day(2), order_id="S"), buy("1", "9", at=day(1))

    rows = fill_rows([later, earlier])

    assert [r[2] for r in rows[1:]] == ["buy", "sell"]
    assert rows[1][11:] == ("", "", "")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0.00000001", "0.00000001"),
        ("1E-8", "0.00000001"),
        ("1.50000000", "1.5"),
        ("1E+3", "1000"),
        ("1506.000000000000", "1506"),
        ("1234567.89", "1234567.89"),
        ("-0.000", "0"),
        ("-2.50", "-2.5"),
        ("0", "0"),
    ],
)
def test_decimal_strings_have_no_exponent_no_separator_and_no_trailing_zero(
    value: str, text: str
) -> None:
    assert decimal_text(Decimal(value)) == text


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_every_decimal_string_reads_back_as_the_same_number_without_an_exponent(
    value: Decimal,
) -> None:
    text = decimal_text(value)

    assert Decimal(text) == value
    assert not set(text) & set("eE,+ ")


@pytest.mark.parametrize("value", [0.1, 1, "1"])
def test_anything_but_a_decimal_is_refused_so_no_float_reaches_a_row(value: Any) -> None:
    with pytest.raises(TypeError):
        decimal_text(value)


def test_nan_and_infinity_are_refused() -> None:
    with pytest.raises(ValueError):
        decimal_text(Decimal("NaN"))
    with pytest.raises(ValueError):
        decimal_text(Decimal("-Infinity"))


def test_times_are_iso_8601_in_utc_and_naive_times_are_refused() -> None:
    assert iso_utc(datetime(2026, 3, 1, tzinfo=UTC)) == "2026-03-01T00:00:00Z"
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 3, 1))


def test_since_keeps_the_fills_from_that_day_on_in_utc() -> None:
    fills = [
        buy("1", "1", at=datetime(2026, 2, 28, 23, 59, tzinfo=UTC)),
        buy("1", "2", at=datetime(2026, 3, 1, tzinfo=UTC)),
    ]

    assert fills_since(fills, date(2026, 3, 1)) == (fills[1],)


def test_the_lots_export_lists_the_open_lot_and_every_realized_match_of_the_issue_example() -> None:
    rows = lot_rows(build_ledger("live", EUR, issue_example()))

    assert rows[0] == LOT_COLUMNS
    first, second, sold = iso_utc(day(0)), iso_utc(day(1)), iso_utc(day(2))
    assert rows[1:] == (
        ("live", "open", "ETH", second, "", "0.5", "1506", "", "", "false", "B2", ""),
        ("live", "closed", "ETH", first, sold, "1", "2008", "3984", "1976", "false", "B1", "S1"),
        ("live", "closed", "ETH", second, sold, "0.5", "1506", "1992", "486", "false", "B2", "S1"),
    )  # fmt: skip


def test_the_lots_export_shows_estimated_withdrawn_and_uncovered_rows_for_what_they_are() -> None:
    opening = adjustment(AdjustmentKind.OPENING, "1", price=Decimal(2000), at=day(0))
    gone = adjustment(AdjustmentKind.WITHDRAWAL, "0.25", at=day(1))
    fills = [sell("1", "3000", at=day(2), order_id="S")]

    rows = lot_rows(build_ledger("live", EUR, fills, [opening, gone]))

    assert [r[1] for r in rows[1:]] == ["closed", "withdrawn", "uncovered"]
    assert rows[1][9:] == ("true", "opening", "S")
    assert rows[2][3:9] == (iso_utc(day(0)), iso_utc(day(1)), "0.25", "500", "", "")
    assert rows[3][3:9] == ("", iso_utc(day(2)), "0.25", "", "750", "")
