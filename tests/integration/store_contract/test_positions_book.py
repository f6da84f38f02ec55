"""The in-memory FakeStore and the SQL Store keep lot adjustments, value samples and the first
plan of each mode alike (the positions use cases' PositionBook port)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from core.app.repositories import Store
from core.domain.lots import Adjustment, AdjustmentKind
from core.domain.series import ValueSample
from tests.fakes.clocks import NOW
from tests.integration.store_contract.builders import a_plan


def opening(asset: str, mode: str = "live") -> Adjustment:
    return Adjustment(mode, asset, AdjustmentKind.OPENING, Decimal("0.5"), NOW, Decimal(30000))


def test_adjustments_are_kept_per_mode_in_the_order_they_were_recorded(store: Store) -> None:
    store.add_lot_adjustments([opening("BTC"), opening("ETH"), opening("BTC", "paper")], NOW)
    assert [a.asset for a in store.lot_adjustments("live")] == ["BTC", "ETH"]
    assert [a.mode for a in store.lot_adjustments("paper")] == ["paper"]


def test_a_stated_opening_price_replaces_the_estimate_of_that_assets_openings_only(
    store: Store,
) -> None:
    store.add_lot_adjustments([opening("BTC"), opening("ETH"), opening("BTC", "paper")], NOW)
    assert store.state_opening_price("live", "BTC", Decimal(25000)) == 1
    btc, eth = store.lot_adjustments("live")
    assert (btc.price, btc.estimated) == (Decimal(25000), False)
    assert (eth.price, eth.estimated) == (Decimal(30000), True)
    assert store.lot_adjustments("paper")[0].estimated


def test_value_samples_come_back_oldest_first_per_mode_and_quote(store: Store) -> None:
    later = ValueSample(
        NOW + timedelta(hours=1), {"BTC": Decimal(2), "EUR": Decimal(1)}, Decimal(3)
    )
    earlier = ValueSample(NOW, {"BTC": Decimal(1)}, Decimal(1))
    store.add_value_sample("live", "EUR", later)
    store.add_value_sample("live", "EUR", earlier)
    store.add_value_sample("paper", "EUR", earlier)
    assert store.value_samples("live", "EUR") == [earlier, later]
    assert store.value_samples("live", "USD") == []
    assert store.last_value_sample_at("live") == later.time
    assert store.last_value_sample_at("paper") == NOW


def test_the_earliest_plan_of_a_mode_is_the_first_one_made_in_it(store: Store) -> None:
    first, second = a_plan("p-first"), a_plan("p-second")
    store.add_plan(replace(second, created_at=NOW + timedelta(minutes=5)))
    store.add_plan(first)
    found = store.earliest_plan(first.mode)
    assert found is not None and found.id == "p-first"
    assert store.earliest_plan("paper" if first.mode == "live" else "live") is None
