"""Opening lots, deposits and withdrawals: what a sync with the exchange's balance finds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain.ledger import build_ledger, reconcile, state_basis
from core.domain.lots import Adjustment, AdjustmentKind, Withdrawn
from core.domain.pnl import position
from core.errors import InputError
from tests.unit.builders import EUR
from tests.unit.lot_builders import adjustment, buy, day, sell

OPENING, DEPOSIT, WITHDRAWAL = AdjustmentKind
PRICES = {"ETH": Decimal(2500), "BTC": Decimal(40000)}


def balance(**amounts: str) -> dict[str, Decimal]:
    return {asset: Decimal(amount) for asset, amount in amounts.items()}


def test_the_first_sync_opens_one_estimated_lot_per_holding_at_the_price_then() -> None:
    empty = build_ledger("live", EUR)

    found = reconcile(empty, balance(ETH="2", BTC="0.5", EUR="1000"), PRICES, day(5), day(0))

    assert found == (
        Adjustment("live", "BTC", OPENING, Decimal("0.5"), day(0), Decimal(40000)),
        Adjustment("live", "ETH", OPENING, Decimal(2), day(0), Decimal(2500)),
    )
    ledger = build_ledger("live", EUR, (), found)
    eth = position(ledger, "ETH", Decimal(3000))
    assert (eth.amount, eth.cost, eth.estimated) == (Decimal(2), Decimal(5000), True)
    assert ledger.lots[0].origin == "opening"


def test_an_existing_database_whose_fills_sold_older_holdings_gets_them_covered() -> None:
    fills = [sell("1", "3000", at=day(1), order_id="S"), buy("0.5", "2000", at=day(2))]
    before = build_ledger("live", EUR, fills)
    assert before.shortfalls  # the sell ran beyond what the fills alone explain

    found = reconcile(before, balance(ETH="1.5"), PRICES, day(5), first_seen=day(3))

    assert found == (Adjustment("live", "ETH", OPENING, Decimal(2), day(1), Decimal(2500)),)
    after = build_ledger("live", EUR, fills, found)
    assert after.shortfalls == ()
    assert after.open_amount("ETH") == Decimal("1.5")
    [match] = after.matches
    assert (match.origin, match.estimated, match.pnl) == ("opening", True, Decimal(500))


def test_a_later_surplus_is_a_flagged_deposit_not_absorbed_into_a_lot() -> None:
    opened = [adjustment(OPENING, "1", price=Decimal(2000), at=day(0))]
    ledger = build_ledger("live", EUR, [buy("1", "2400", at=day(1))], opened)

    found = reconcile(ledger, balance(ETH="2.5"), PRICES, day(5))

    assert found == (Adjustment("live", "ETH", DEPOSIT, Decimal("0.5"), day(5), Decimal(2500)),)
    after = build_ledger("live", EUR, [buy("1", "2400", at=day(1))], (*opened, *found))
    assert after.lots[-1].origin == "deposit"
    assert after.lots[-1].estimated


def test_a_deficit_is_a_withdrawal_that_takes_the_oldest_lots_and_realizes_nothing() -> None:
    fills = [buy("1", "2000", at=day(0), order_id="B1"), buy("1", "3000", at=day(1), order_id="B2")]
    opened = [adjustment(OPENING, "0.1", asset="BTC", price=Decimal(1), at=day(0))]
    ledger = build_ledger("live", EUR, fills, opened)

    found = reconcile(ledger, balance(ETH="0.5", BTC="0.1"), PRICES, day(5))

    assert found == (Adjustment("live", "ETH", WITHDRAWAL, Decimal("1.5"), day(5)),)
    after = build_ledger("live", EUR, fills, (*opened, *found))
    assert after.matches == ()
    assert after.withdrawn == (
        Withdrawn("ETH", day(0), day(5), Decimal(1), Decimal(2000), False, "B1"),
        Withdrawn("ETH", day(1), day(5), Decimal("0.5"), Decimal(1500), False, "B2"),
    )
    assert after.open_amount("ETH") == Decimal("0.5")


def test_an_asset_gone_from_the_exchange_is_withdrawn_whole() -> None:
    opened = [adjustment(OPENING, "1", price=Decimal(2000), at=day(0))]
    ledger = build_ledger("live", EUR, [], opened)

    found = reconcile(ledger, balance(EUR="10"), PRICES, day(5))

    assert found == (Adjustment("live", "ETH", WITHDRAWAL, Decimal(1), day(5)),)


def test_a_sync_that_agrees_with_the_exchange_finds_nothing() -> None:
    opened = [adjustment(OPENING, "1", price=Decimal(2000), at=day(0))]
    ledger = build_ledger("live", EUR, [buy("1", "2400", at=day(1))], opened)

    assert reconcile(ledger, balance(ETH="2", EUR="5"), PRICES, day(5)) == ()


def test_adjustments_are_dated_no_earlier_than_the_last_fill_the_ledger_holds() -> None:
    opened = [adjustment(OPENING, "1", price=Decimal(2000), at=day(0))]
    ledger = build_ledger("live", EUR, [buy("1", "2400", at=day(6))], opened)

    [found] = reconcile(ledger, balance(ETH="1"), PRICES, day(5))

    assert (found.kind, found.time) == (WITHDRAWAL, day(6))


def test_a_holding_without_a_price_opens_at_zero_cost_and_says_it_is_estimated() -> None:
    [found] = reconcile(build_ledger("live", EUR), balance(XYZ="7"), PRICES, day(0))

    assert (found.price, found.estimated) == (Decimal(0), True)
    held = position(build_ledger("live", EUR, (), [found]), "XYZ", Decimal(1))
    assert held.unrealized_pct is None


def test_paper_adjustments_never_touch_the_live_ledger() -> None:
    paper = adjustment(OPENING, "5", mode="paper", price=Decimal(1))

    assert build_ledger("live", EUR, [], [paper]).lots == ()
    assert reconcile(build_ledger("paper", EUR, [], [paper]), balance(ETH="5"), {}, day(1)) == ()


def test_the_owner_states_the_real_price_of_an_opening_lot() -> None:
    opened = [
        adjustment(OPENING, "2", price=Decimal(2500)),
        adjustment(OPENING, "2", price=Decimal(2500), mode="paper"),
        adjustment(DEPOSIT, "1", price=Decimal(2500), at=day(1)),
    ]

    stated = state_basis(opened, "live", "ETH", Decimal(1800))

    assert [(a.price, a.estimated) for a in stated] == [
        (Decimal(1800), False),
        (Decimal(2500), True),
        (Decimal(2500), True),
    ]
    ledger = build_ledger("live", EUR, [], stated)
    assert [lot.estimated for lot in ledger.lots] == [False, True]


@pytest.mark.parametrize("price", ["0", "-5", "NaN"])
def test_a_stated_price_must_be_a_positive_number(price: str) -> None:
    with pytest.raises(InputError, match="positive number"):
        state_basis([adjustment(OPENING, "2", price=Decimal(1))], "live", "ETH", Decimal(price))


def test_a_stated_price_for_an_asset_without_an_opening_lot_is_refused() -> None:
    with pytest.raises(InputError, match="BTC has no opening lot"):
        state_basis([adjustment(OPENING, "2", price=Decimal(1))], "live", "BTC", Decimal(100))


def test_an_adjustment_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        adjustment(DEPOSIT, "0")
