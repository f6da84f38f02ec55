"""The FIFO lot ledger by example: the issue's numbers first, then one rule per test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from core.domain.ledger import build_ledger, take_fifo
from core.domain.lots import Lot, Shortfall
from core.domain.models import Side
from core.domain.pnl import position, positions, totals
from tests.unit.builders import EUR
from tests.unit.lot_builders import buy, day, fill, issue_example, sell


def test_the_issue_example_realizes_2462_and_leaves_half_an_eth_costing_1506() -> None:
    ledger = build_ledger("live", EUR, issue_example())

    assert sum(m.pnl for m in ledger.matches) == Decimal(2462)
    assert [(lot.amount, lot.cost) for lot in ledger.lots] == [(Decimal("0.5"), Decimal(1506))]
    assert ledger.lots[0].opened_at == day(1)
    assert ledger.lots[0].origin == "B2"


def test_the_issue_example_matches_the_oldest_lot_first() -> None:
    ledger = build_ledger("live", EUR, issue_example())

    figures = [(m.origin, m.amount, m.cost, m.proceeds, m.pnl) for m in ledger.matches]
    assert figures == [
        ("B1", Decimal(1), Decimal(2008), Decimal(3984), Decimal(1976)),
        ("B2", Decimal("0.5"), Decimal(1506), Decimal(1992), Decimal(486)),
    ]
    assert {m.closed_at for m in ledger.matches} == {day(2)}
    assert {m.order_id for m in ledger.matches} == {"S1"}


def test_the_issue_example_position_at_4000_shows_entry_value_and_both_pnls() -> None:
    ledger = build_ledger("live", EUR, issue_example())

    eth = position(ledger, "ETH", Decimal(4000))

    assert eth.amount == Decimal("0.5")
    assert eth.average_price == Decimal(3012)
    assert eth.first_entry == day(1)
    assert eth.value == Decimal(2000)
    assert eth.unrealized == Decimal(494)
    assert eth.unrealized_pct == Decimal(494) / Decimal(1506) * 100
    assert eth.realized == Decimal(2462)
    assert not eth.estimated and not eth.realized_estimated


def test_a_buy_with_its_fee_in_the_asset_holds_less_and_costs_the_whole_quote_spent() -> None:
    ledger = build_ledger("live", EUR, [buy("1.01", "2000", "0.01", fee_currency="ETH")])

    assert [(lot.amount, lot.cost) for lot in ledger.lots] == [(Decimal(1), Decimal(2020))]
    assert ledger.fills[0].fee_value == Decimal(20)


def test_a_sell_with_its_fee_in_the_asset_gives_up_the_fee_from_the_lots_too() -> None:
    fills = [
        buy("1.01", "2000", "0.01", fee_currency="ETH", at=day(0)),
        sell("0.49", "4000", "0.01", fee_currency="ETH", at=day(1)),
    ]

    ledger = build_ledger("live", EUR, fills)

    [match] = ledger.matches
    assert (match.amount, match.cost, match.proceeds, match.pnl) == (
        Decimal("0.5"),
        Decimal(1010),
        Decimal(1960),
        Decimal(950),
    )
    assert [(lot.amount, lot.cost) for lot in ledger.lots] == [(Decimal("0.5"), Decimal(1010))]


def test_a_fee_in_a_third_currency_is_kept_out_of_every_figure_and_listed() -> None:
    kfee = buy("1", "2000", "150", fee_currency="KFEE")

    ledger = build_ledger("live", EUR, [kfee])

    assert ledger.lots[0].cost == Decimal(2000)
    assert ledger.uncounted_fees == (kfee,)
    assert kfee.fee_value is None


def test_a_sell_beyond_the_open_lots_closes_what_is_there_and_flags_the_rest() -> None:
    fills = [buy("1", "2000", at=day(0)), sell("1.5", "3000", "30", at=day(1), order_id="S")]

    ledger = build_ledger("live", EUR, fills)

    assert ledger.lots == ()
    [match] = ledger.matches
    assert (match.amount, match.cost, match.proceeds) == (Decimal(1), Decimal(2000), Decimal(2980))
    assert ledger.shortfalls == (Shortfall("ETH", day(1), Decimal("0.5"), Decimal(1490), "S"),)


def test_a_sell_with_no_lots_at_all_realizes_nothing_and_is_flagged_whole() -> None:
    ledger = build_ledger("live", EUR, [sell("2", "100", "1", order_id="S")])

    assert ledger.matches == ()
    assert ledger.shortfalls == (
        Shortfall("ETH", ledger.fills[0].time, Decimal(2), Decimal(199), "S"),
    )


def test_paper_fills_never_enter_the_live_ledger_nor_live_fills_the_paper_one() -> None:
    fills = [buy("1", "2000", order_id="L"), buy("3", "10", mode="paper", order_id="P")]

    live, paper = build_ledger("live", EUR, fills), build_ledger("paper", EUR, fills)

    assert [lot.origin for lot in live.lots] == ["L"]
    assert [lot.origin for lot in paper.lots] == ["P"]


def test_fills_in_another_quote_currency_are_listed_not_mixed_in() -> None:
    usd = buy("1", "2100", quote="USD", order_id="U")

    ledger = build_ledger("live", EUR, [buy("1", "2000", order_id="E"), usd])

    assert [lot.origin for lot in ledger.lots] == ["E"]
    assert ledger.other_quote == (usd,)


def test_fills_are_replayed_in_time_order_whatever_order_they_come_in() -> None:
    fills = [sell("1", "3000", at=day(2)), buy("1", "1000", at=day(0)), buy("1", "2000", at=day(1))]

    ledger = build_ledger("live", EUR, fills)

    assert [m.cost for m in ledger.matches] == [Decimal(1000)]
    assert [lot.cost for lot in ledger.lots] == [Decimal(2000)]


def test_lots_are_kept_per_asset() -> None:
    fills = [
        buy("1", "2000", at=day(0)),
        buy("0.1", "40000", asset="BTC", at=day(1)),
        sell("0.5", "3000", at=day(2)),
    ]

    ledger = build_ledger("live", EUR, fills)

    assert [(lot.asset, lot.amount) for lot in ledger.lots] == [
        ("BTC", Decimal("0.1")),
        ("ETH", Decimal("0.5")),
    ]
    assert ledger.assets() == ("BTC", "ETH")


def test_taking_part_of_a_lot_splits_its_cost_in_proportion_and_conserves_it() -> None:
    lot = Lot("ETH", day(0), Decimal(3), Decimal(1000), False, "B")

    taken, left, short = take_fifo([lot], Decimal(1))

    assert short == 0
    assert taken[0].cost + left[0].cost == Decimal(1000)
    assert taken[0].cost == Decimal("333.333333333333")
    assert left[0].amount == Decimal(2)


def test_positions_and_totals_over_two_assets_with_one_unpriced() -> None:
    fills = [
        *issue_example(),
        buy("0.1", "40000", "16", asset="BTC", at=day(3)),
        buy("100", "1", asset="ADA", at=day(3)),
    ]
    ledger = build_ledger("live", EUR, fills)

    held = positions(ledger, {"ETH": Decimal(4000), "BTC": Decimal(50000)})
    total = totals(held)

    assert [p.asset for p in held] == ["ADA", "BTC", "ETH"]
    assert total.cost == Decimal(1506) + Decimal(4016) + Decimal(100)
    assert total.value == Decimal(2000) + Decimal(5000)
    assert total.unrealized == Decimal(494) + Decimal(984)
    assert total.unrealized_pct == Decimal(1478) / Decimal(5522) * 100
    assert total.realized == Decimal(2462)
    assert total.unpriced == ("ADA",)
    assert not total.estimated


def test_a_position_sold_out_keeps_its_realized_pnl_and_has_no_entry() -> None:
    fills = [buy("1", "100", at=day(0)), sell("1", "150", "1", at=day(1))]

    [sold] = positions(build_ledger("live", EUR, fills), {"ETH": Decimal(200)})

    assert (sold.amount, sold.realized, sold.first_entry) == (Decimal(0), Decimal(49), None)
    assert sold.average_price is None
    assert (sold.value, sold.unrealized, sold.unrealized_pct) == (Decimal(0), Decimal(0), None)


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": "0"},
        {"fee": "-1"},
        {"cost": Decimal(-1)},
        {"fee": "1", "fee_currency": "ETH"},
        {"time": day(0).replace(tzinfo=None)},
    ],
)
def test_a_fill_that_cannot_have_happened_is_refused(changes: dict[str, Any]) -> None:
    values = {"side": Side.BUY, "amount": "1", "price": "2000"} | changes
    with pytest.raises(ValueError):
        fill(**values)
