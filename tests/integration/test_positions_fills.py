"""Positions against the fake Kraken: the fills a real rebalance records are the server's orders,
exactly, and the lots they make add up to the balance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.exports import FILL_COLUMNS
from tests.integration.conftest import OWNER, Account

pytestmark = pytest.mark.both_engines


async def rebalance(account: Account) -> int:
    prepared = await account.app.prepare_rebalance(OWNER)
    report = await account.app.execute(prepared.plan_id, OWNER)
    return report.run_id


async def test_a_real_rebalance_exports_one_csv_row_per_order_exactly_as_kraken_has_it(
    live: Account,
) -> None:
    await live.app.positions()  # the first sync: the holdings from before the bot
    run_id = await rebalance(live)

    header, *rows = live.app.export_fills()

    assert header == FILL_COLUMNS
    by_id = {r[10]: dict(zip(header, r, strict=True)) for r in rows}
    assert set(by_id) == {o.txid for o in live.fake.orders}
    for order in live.fake.orders:
        wire = order.to_kraken()
        row = by_id[order.txid]
        assert row["side"] == wire["descr"]["type"]
        assert row["asset"] + "/" + row["quote"] == order.pair.wsname.replace("XBT", "BTC")
        assert [Decimal(row[k]) for k in ("amount", "price", "cost", "fee")] == [
            Decimal(wire[k]) for k in ("vol_exec", "price", "cost", "fee")
        ]
        assert (row["mode"], row["fee_currency"], row["client_order_id"]) == (
            "live",
            "EUR",
            order.cl_ord_id,
        )
        assert (row["run_id"], row["trigger"]) == (str(run_id), "manual")
        closed = datetime.fromtimestamp(wire["closetm"], UTC)
        exported = datetime.fromisoformat(row["time"])
        assert abs((exported - closed).total_seconds()) < 0.001
        assert row["time"].endswith("Z")


async def test_after_a_rebalance_the_open_lots_equal_the_balance_and_sells_realize(
    live: Account,
) -> None:
    await live.app.positions()
    await rebalance(live)

    report = await live.app.positions()

    assert report.synced
    holdings = await live.holdings()
    for p in report.positions:
        assert p.amount == holdings.get(p.asset, Decimal(0)), p.asset
    btc = next(p for p in report.positions if p.asset == "BTC")
    assert btc.realized != 0 and btc.realized_estimated  # sold from the estimated opening lot
    eth = next(p for p in report.positions if p.asset == "ETH")
    assert eth.amount > 0 and eth.first_entry is not None
    assert report.outside_changes == ()  # every change came from a fill


async def test_positions_asks_kraken_for_one_balance_and_one_ticker_like_a_preview(
    live: Account,
) -> None:
    await live.app.preview()  # markets loaded, holdings remembered
    before = len(live.fake.requests)

    await live.app.positions()

    asked = sorted(r.endpoint for r in live.fake.requests[before:])
    assert asked == ["BalanceEx", "Ticker"]


async def test_scheduled_checks_record_the_value_at_most_once_an_hour(paper: Account) -> None:
    await paper.app.poll_drift()
    paper.clock.advance(minutes=59)
    await paper.app.poll_drift()
    paper.clock.advance(minutes=1)
    await paper.app.poll_drift()

    samples = paper.store.value_samples("paper", "EUR")

    assert [s.time for s in samples] == [paper.clock.now - timedelta(hours=1), paper.clock.now]
    assert samples[0].total == Decimal(27500)
    assert samples[0].values["BTC"] == Decimal(20000)
    assert len(paper.store.lot_adjustments("paper")) == 4  # the first check made the openings
