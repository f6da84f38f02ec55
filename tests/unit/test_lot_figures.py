"""Figures over time: calendar months, the fee share of the portfolio, value series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from core.domain.ledger import build_ledger
from core.domain.models import ZERO
from core.domain.planner import make_plan
from core.domain.pnl import Month, fee_share, fees, monthly
from core.domain.series import (
    Extremes,
    Point,
    ValueSample,
    average_value,
    sample_due,
    summarize,
    value_sample,
)
from tests.unit.builders import EUR, NOW, decimals, plan_settings, worked_portfolio
from tests.unit.lot_builders import buy, sell

PARIS = timezone(timedelta(hours=1))
JAN = datetime(2026, 1, 10, tzinfo=UTC)


def test_months_are_utc_calendar_months_with_realized_pnl_fees_and_traded_value() -> None:
    fills = [
        buy("1", "2000", "8", at=JAN),
        buy("1.01", "3000", "0.01", fee_currency="ETH", at=JAN + timedelta(days=5)),
        # 00:30 on 1 February in Paris is still 31 January in UTC
        sell("0.5", "4000", "8", at=datetime(2026, 2, 1, 0, 30, tzinfo=PARIS)),
        sell("1", "5000", "20", at=datetime(2026, 3, 2, tzinfo=UTC)),
    ]

    months = monthly(build_ledger("live", EUR, fills))

    assert months == (
        Month(2026, 1, Decimal(1992) - Decimal(1004), Decimal(8 + 30 + 8), Decimal(7030), 3),
        Month(
            2026, 3, Decimal(4980) - Decimal(1004) - Decimal("1515"), Decimal(20), Decimal(5000), 1
        ),
    )
    assert [m.label for m in months] == ["2026-01", "2026-03"]


def test_the_fees_of_a_ledger_add_quote_fees_and_asset_fees_at_their_fill_price() -> None:
    fills = [buy("1", "2000", "8"), buy("1.01", "3000", "0.01", fee_currency="ETH")]

    assert fees(build_ledger("live", EUR, fills)) == Decimal(38)


def test_a_month_without_fills_or_sells_is_not_listed_and_no_ledger_has_no_months() -> None:
    assert monthly(build_ledger("live", EUR)) == ()


def sample(hours: int, total: str, **values: str) -> ValueSample:
    return ValueSample(
        JAN + timedelta(hours=hours), {k: Decimal(v) for k, v in values.items()}, Decimal(total)
    )


def test_the_average_portfolio_value_is_weighted_by_time_between_samples() -> None:
    samples = [sample(3, "3000"), sample(0, "1000"), sample(1, "3000")]

    assert average_value(samples) == Decimal(8000) / 3


def test_one_sample_or_none_averages_plainly_or_not_at_all() -> None:
    assert average_value([sample(0, "1234.5")]) == Decimal("1234.5")
    assert average_value([]) is None


def test_the_fee_share_is_fees_over_the_average_portfolio_value_in_percent() -> None:
    samples = [sample(0, "10000"), sample(24, "10000")]

    assert fee_share(Decimal(25), samples) == Decimal("0.25")
    assert fee_share(Decimal(25), []) is None
    assert fee_share(Decimal(25), [sample(0, "0")]) is None


def test_a_value_series_gives_first_last_lowest_and_highest_for_the_total_and_each_asset() -> None:
    samples = [
        sample(0, "100", BTC="60", EUR="40"),
        sample(1, "90", BTC="50", EUR="40", ETH="0"),
        sample(2, "120", BTC="80", EUR="40", ETH="5"),
    ]

    summary = summarize(reversed(samples))

    assert summary is not None
    at = [s.time for s in samples]
    assert summary.total == Extremes(
        Point(at[0], Decimal(100)),
        Point(at[2], Decimal(120)),
        Point(at[1], Decimal(90)),
        Point(at[2], Decimal(120)),
    )
    assert summary.assets["ETH"].first == Point(at[1], ZERO)
    assert summary.assets["EUR"].low == Point(at[0], Decimal(40))  # the earliest on a tie
    assert set(summary.assets) == {"BTC", "ETH", "EUR"}
    assert summarize([]) is None


def test_a_sample_is_due_at_most_once_an_hour() -> None:
    assert sample_due(None, JAN)
    assert not sample_due(JAN, JAN + timedelta(minutes=59))
    assert sample_due(JAN, JAN + timedelta(hours=1))


def test_a_plan_gives_a_sample_of_every_line_worth_something_and_its_total() -> None:
    targets = decimals({"BTC": "40", "ETH": "30", "SOL": "20", "ADA": "10"})
    plan = make_plan(worked_portfolio(), targets, frozenset(), plan_settings(), NOW)

    got = value_sample(plan)

    assert got.time == NOW
    assert got.total == Decimal(27500)
    assert got.values == {
        "BTC": Decimal(20000),
        "ETH": Decimal(5000),
        "SOL": Decimal(2000),
        "ADA": Decimal(500),
    }
