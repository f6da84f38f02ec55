"""Market execution needs no round trip beyond the safe floor of N + 4: the price re-check,
the sells, one fill query, the balance read between the waves, the buys, one fill query
(the drift after comes from the fills and the prices just read). Counted, never timed."""

from __future__ import annotations

from tests.integration.conftest import OWNER, Account


async def test_a_market_rebalance_takes_n_plus_4_requests(live: Account) -> None:
    prepared = await live.app.prepare_rebalance(OWNER)
    live.fake.clear_requests()
    await live.app.execute(prepared.plan_id, OWNER)

    orders = len(prepared.plan.orders)
    assert len(live.fake.requests) == orders + 4
    assert [r.endpoint for r in live.fake.requests].count("Ticker") == 1
