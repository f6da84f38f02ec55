"""Market execution needs no round trip beyond the safe floor of N + 4: the price re-check,
the sells, one fill query, the balance read between the waves, the buys, one fill query
(the drift after comes from the fills and the prices just read). Counted, never timed."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tests.integration.conftest import OWNER, Account


async def test_a_market_rebalance_takes_n_plus_4_requests(live: Account) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.clear_requests()
    await live.app.execute(prepared.plan_id, OWNER)

    orders = len(prepared.plan.orders)
    assert len(live.fake.requests) == orders + 4
    assert [r.endpoint for r in live.fake.requests].count("Ticker") == 1


@pytest.mark.parametrize("n", [10, 25])
async def test_a_market_rebalance_of_many_assets_still_takes_n_plus_4_requests(
    live: Account, n: int
) -> None:
    """The bench's portfolios (row 3): `n` synthetic pairs alternately 30 % over and under
    equal targets, a little cash; one order per asset, still the safe floor of N + 4."""
    assets = [f"S{i + 1:04d}" for i in range(n)]
    live.fake.set_balances({"ZEUR": 20 * n}, replace=True)
    for i, asset in enumerate(assets):
        price = Decimal("1.5") + i
        held = Decimal(1000) * Decimal("1.3" if i % 2 == 0 else "0.7") / price
        live.fake.add_synthetic_market(asset, "EUR", price, balance=held.quantize(Decimal("1e-8")))
    live.settings = replace(
        live.settings, plan=replace(live.settings.plan, drift_band_pct=Decimal(1))
    )
    app = await live.restart()
    await app.set_targets(",".join(f"{a}={100 // n}" for a in assets))
    prepared = await app.prepare_rebalance(OWNER)
    assert len(prepared.plan.orders) == n
    live.fake.clear_requests()
    await app.execute(prepared.plan_id, OWNER)

    assert len(live.fake.requests) == n + 4
    assert [r.endpoint for r in live.fake.requests].count("Ticker") == 1
