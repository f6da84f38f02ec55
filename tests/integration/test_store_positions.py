"""The lot ledger's rows in the store: fills with their run, adjustments, value samples."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.app.records import FillRecord, PlanRecord
from core.domain.lots import Adjustment, AdjustmentKind
from core.domain.models import Side
from core.domain.series import ValueSample
from core.store.db import make_engine
from core.store.repo import Store

NOW = datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
EXACT = Decimal("0.12345678901234567890")

pytestmark = pytest.mark.both_engines


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(make_engine(db_url))
    yield store
    store.close()


def opening(asset: str = "ETH", mode: str = "paper", **changes: object) -> Adjustment:
    values: dict[str, object] = {
        "mode": mode,
        "asset": asset,
        "kind": AdjustmentKind.OPENING,
        "amount": Decimal(2),
        "time": NOW,
        "price": Decimal("2500.5"),
    }
    return Adjustment(**(values | changes))  # type: ignore[arg-type]


def test_a_fill_keeps_its_run_and_trigger(store: Store) -> None:
    fill = FillRecord(
        exchange_order_id="O1",
        client_order_id="c1",
        symbol="ETH/EUR",
        side=Side.SELL,
        amount=Decimal("1.5"),
        price=Decimal(4000),
        cost=Decimal(6000),
        fee=Decimal(24),
        fee_currency="EUR",
        filled_at=NOW,
        mode="paper",
        run_id=7,
        trigger="manual",
    )

    store.record_fill(fill)

    assert store.fills(mode="paper") == [fill]


def test_adjustments_are_kept_exactly_per_mode_in_the_order_recorded(store: Store) -> None:
    withdrawal = opening(
        kind=AdjustmentKind.WITHDRAWAL, amount=EXACT, price=Decimal(0), time=NOW + timedelta(1)
    )
    store.add_lot_adjustments([opening(), withdrawal], NOW)
    store.add_lot_adjustments([opening(mode="live", asset="BTC")], NOW)

    assert store.lot_adjustments("paper") == [opening(), withdrawal]
    assert [a.asset for a in store.lot_adjustments("live")] == ["BTC"]


def test_stating_a_price_changes_only_that_assets_opening_lots_in_that_mode(store: Store) -> None:
    store.add_lot_adjustments(
        [
            opening(),
            opening(asset="BTC"),
            opening(mode="live"),
            opening(kind=AdjustmentKind.DEPOSIT),
        ],
        NOW,
    )

    assert store.state_opening_price("paper", "ETH", Decimal(2000)) == 1

    first, btc, deposit = store.lot_adjustments("paper")
    assert (first.price, first.estimated) == (Decimal(2000), False)
    assert (btc.price, btc.estimated) == (Decimal("2500.5"), True)
    assert (deposit.price, deposit.estimated) == (Decimal("2500.5"), True)
    assert store.lot_adjustments("live")[0].estimated is True


def test_value_samples_come_back_oldest_first_with_exact_values(store: Store) -> None:
    later = ValueSample(NOW + timedelta(hours=1), {"BTC": EXACT, "EUR": Decimal(5)}, EXACT + 5)
    first = ValueSample(NOW, {"BTC": Decimal(10)}, Decimal(10))
    store.add_value_sample("paper", "EUR", later)
    store.add_value_sample("paper", "EUR", first)
    store.add_value_sample("live", "EUR", first)

    assert store.value_samples("paper", "EUR") == [first, later]
    assert store.value_samples("paper", "USD") == []
    assert store.last_value_sample_at("paper") == later.time
    assert store.last_value_sample_at("live") == NOW


def test_there_is_no_last_sample_before_the_first(store: Store) -> None:
    assert store.last_value_sample_at("paper") is None


def test_the_earliest_plan_is_the_first_made_in_that_mode(store: Store) -> None:
    def plan(plan_id: str, at: datetime, mode: str) -> PlanRecord:
        return PlanRecord(plan_id, "1", at, at + timedelta(minutes=2), "h", {}, "{}", mode=mode)

    store.add_plan(plan("later", NOW + timedelta(hours=1), "paper"))
    store.add_plan(plan("live-first", NOW - timedelta(days=1), "live"))
    store.add_plan(plan("first", NOW, "paper"))

    first = store.earliest_plan("paper")

    assert first is not None and first.id == "first"
    assert store.earliest_plan("live") is not None
