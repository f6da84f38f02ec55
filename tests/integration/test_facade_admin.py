"""The owner's bookkeeping through the facade: locks, targets, stats, history and alerts.

Each test opens the facade as the CLI and the bot do, `open_rebalancer(Settings(...))`, in
paper mode on the bundled snapshot with a real SQLite file in `tmp_path`; "a restart" is
opening it again on the same file. The account is the worked example: 0.5 BTC, 2 ETH, 20 SOL
and 1000 ADA against 40/30/20/10, a rebalance due with BTC at +32.7 pp.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.app.api import ExecutionReport
from core.app.rebalancer import Rebalancer
from core.bootstrap import open_rebalancer
from core.config import Settings
from core.domain.models import LineStatus, Side
from core.domain.statuses import RunOutcome
from core.errors import ExecutionRefused, InputError

OWNER = "111"
FRIEND = "222"
DEFAULTS = {"BTC": Decimal(40), "ETH": Decimal(30), "SOL": Decimal(20), "ADA": Decimal(10)}
# The account's current weights (72.7 / 18.2 / 7.3 / 1.8 %) as targets: every drift in band.
CURRENT_WEIGHTS = "BTC=72.73,ETH=18.18,SOL=7.27,ADA=1.82"


@pytest.fixture(autouse=True)
def no_outside_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the settings a test passes count: no .env, no variables from the shell."""
    monkeypatch.chdir(tmp_path)
    ours = {name.upper() for name in Settings.model_fields}
    for name in list(os.environ):
        upper = name.upper()
        if upper in ours or upper.startswith(("KRAKEN_", "TELEGRAM_")):
            monkeypatch.delenv(name)


@asynccontextmanager
async def opened(db_url: str, **overrides: Any) -> AsyncIterator[Rebalancer]:
    """The facade on `db_url` as a new process would open it (paper mode, snapshot)."""
    settings = Settings(
        _env_file=None,
        trading_mode="paper",
        paper_market_data="snapshot",
        database_url=db_url,
        log_level="WARNING",
        **overrides,
    )
    async with open_rebalancer(settings) as app:
        yield app


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[Rebalancer]:
    async with opened(db_url) as rebalancer:
        yield rebalancer


@pytest.fixture
async def app_without_cooldown(db_url: str) -> AsyncIterator[Rebalancer]:
    async with opened(db_url, rebalance_cooldown_minutes=0) as rebalancer:
        yield rebalancer


async def rebalanced(app: Rebalancer, user_id: str = OWNER) -> ExecutionReport:
    prepared = await app.prepare_rebalance(user_id)
    return await app.execute(prepared.plan_id, user_id)


# -- locks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["XYZ", "xyz", "DOGE2"])
async def test_lock_refuses_a_symbol_that_is_not_tradable_and_locks_nothing(
    app: Rebalancer, symbol: str
) -> None:
    with pytest.raises(InputError, match=f"{symbol.upper()} is not a Kraken asset"):
        await app.lock(symbol, OWNER)

    assert app.locked() == ()


async def test_lock_refuses_the_quote_currency_as_cash(app: Rebalancer) -> None:
    with pytest.raises(InputError, match="EUR is the quote currency"):
        await app.lock("eur", OWNER)

    assert app.locked() == ()


@pytest.mark.parametrize("text", ["", "  ", "BT C", "BTC/EUR", "ABCDEFGHIJKLM"])
async def test_lock_refuses_text_that_is_not_a_symbol(app: Rebalancer, text: str) -> None:
    with pytest.raises(InputError, match="is not an asset symbol"):
        await app.lock(text, OWNER)

    assert app.locked() == ()


async def test_locking_twice_is_harmless_and_keeps_the_first_lock(app: Rebalancer) -> None:
    assert await app.lock(" btc ", OWNER, "long-term hold") is True
    assert await app.lock("BTC", FRIEND, "another reason") is False

    (lock,) = app.locked()
    assert (lock.symbol, lock.locked_by, lock.reason) == ("BTC", OWNER, "long-term hold")


async def test_unlock_reports_whether_it_changed_anything(app: Rebalancer) -> None:
    assert app.unlock("BTC") is False
    await app.lock("BTC", OWNER)
    await app.lock("ETH", OWNER)

    assert app.unlock("btc") is True
    assert app.unlock("BTC") is False
    assert [x.symbol for x in app.locked()] == ["ETH"]
    assert app.unlock_all() == 1
    assert app.unlock_all() == 0
    assert app.locked() == ()


async def test_a_locked_asset_is_left_out_of_the_plan(app: Rebalancer) -> None:
    await app.lock("BTC", OWNER)

    plan = await app.preview()

    btc = plan.line("BTC")
    assert btc is not None
    assert btc.status is LineStatus.LOCKED
    assert "BTC" not in {o.asset for o in plan.orders}


async def test_locks_survive_a_restart(db_url: str) -> None:
    async with opened(db_url) as app:
        await app.lock("SOL", OWNER, "staking")

    async with opened(db_url) as app:
        assert [(x.symbol, x.reason) for x in app.locked()] == [("SOL", "staking")]


# -- targets -------------------------------------------------------------------------------


async def test_the_targets_start_as_the_default_target_weights(app: Rebalancer) -> None:
    assert app.targets() == DEFAULTS


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("BTC=50,ETH=40", "sum to 90"),
        ("BTC=60,ETH=50", "sum to 110"),
        ("BTC=50,FOO=50", "FOO"),
        ("EUR=100,XYZ=0", "XYZ"),
        ("BTC=abc", "not a number"),
        ("BTC=50,BTC=50", "appears twice"),
        ("BTC=-10,ETH=110", "negative"),
        ("", "no weights"),
    ],
)
async def test_set_targets_refuses_a_bad_spec_and_changes_nothing(
    app: Rebalancer, spec: str, problem: str
) -> None:
    with pytest.raises(InputError, match=problem):
        await app.set_targets(spec)

    assert app.targets() == DEFAULTS


async def test_set_targets_replaces_every_weight(app: Rebalancer) -> None:
    saved = await app.set_targets("btc=50, eth=50")

    assert saved == {"BTC": Decimal(50), "ETH": Decimal(50)}
    assert app.targets() == saved


async def test_set_targets_accepts_a_cash_weight_in_the_quote_currency(app: Rebalancer) -> None:
    saved = await app.set_targets("BTC=40,ETH=30,SOL=10,ADA=10,EUR=10")

    assert saved["EUR"] == Decimal(10)
    assert sum(saved.values()) == 100
    plan = await app.preview()
    cash = plan.line("EUR")
    assert cash is not None
    assert cash.status is LineStatus.QUOTE
    assert cash.target_pct == Decimal(10)
    assert cash.after_pct > Decimal(9), "the plan keeps about 10 % in cash"


async def test_changing_locks_or_targets_withdraws_a_pending_plan(app: Rebalancer) -> None:
    first = await app.prepare_rebalance(OWNER)
    await app.lock("ADA", OWNER)
    second = await app.prepare_rebalance(OWNER)
    await app.set_targets("BTC=40,ETH=30,SOL=20,ADA=10")

    for prepared in (first, second):
        with pytest.raises(ExecutionRefused) as refused:
            await app.execute(prepared.plan_id, OWNER)
        assert refused.value.code == "cancelled"
    assert app.history() == ()


# -- stats and history ---------------------------------------------------------------------


async def test_stats_before_any_rebalance_are_empty(app: Rebalancer) -> None:
    stats = app.stats()

    assert stats.runs == 0
    assert stats.runs_by_outcome == {}
    assert (stats.total_traded, stats.total_fees) == (Decimal(0), Decimal(0))
    assert (stats.avg_drift_before, stats.avg_drift_after) == (None, None)
    assert stats.volume_by_asset == {}
    assert stats.last_run is None
    assert stats.cooldown_ends_at is None
    assert stats.quote_currency == "EUR"


async def test_stats_after_a_rebalance_report_runs_totals_drift_volume_cooldown_and_locks(
    app: Rebalancer,
) -> None:
    report = await rebalanced(app)
    await app.lock("SOL", OWNER)

    stats = app.stats()

    assert report.outcome is RunOutcome.FULL
    assert stats.runs_by_outcome == {"full": 1}
    assert stats.runs == 1
    assert stats.total_traded == report.traded_value
    assert stats.total_fees == report.fees
    assert stats.avg_drift_before == report.drift_before
    assert stats.avg_drift_after == report.drift_after
    assert stats.volume_by_asset == {o.asset: o.cost for o in report.orders}
    assert stats.volume_by_asset["BTC"] == Decimal("8998.2")
    assert stats.last_run is not None
    assert stats.last_run.run_id == report.run_id
    assert stats.cooldown_ends_at == stats.last_run.started_at + timedelta(minutes=60)
    assert [x.symbol for x in stats.locks] == ["SOL"]


async def test_stats_add_up_every_run_and_have_no_cooldown_end_without_a_cooldown(
    app_without_cooldown: Rebalancer,
) -> None:
    app = app_without_cooldown
    first = await rebalanced(app)
    await app.set_targets("BTC=50,ETH=50")
    second = await rebalanced(app)

    stats = app.stats()

    assert stats.runs_by_outcome == {"full": 2}
    assert stats.total_traded == first.traded_value + second.traded_value
    assert stats.total_fees == first.fees + second.fees
    assert stats.avg_drift_before == (first.drift_before + second.drift_before) / 2
    assert stats.volume_by_asset["BTC"] == sum(
        (o.cost for o in (*first.orders, *second.orders) if o.asset == "BTC"), Decimal(0)
    )
    assert stats.cooldown_ends_at is None


async def test_history_lists_the_newest_run_first_with_its_orders(
    app_without_cooldown: Rebalancer,
) -> None:
    app = app_without_cooldown
    first = await rebalanced(app)
    await app.set_targets("BTC=50,ETH=50")
    second = await rebalanced(app)

    runs = app.history(10)

    assert [r.run_id for r in runs] == [second.run_id, first.run_id]
    assert runs[0].started_at >= runs[1].started_at
    assert [r.plan_id for r in runs] == [second.plan_id, first.plan_id]
    assert all(r.user_id == OWNER and r.outcome is RunOutcome.FULL for r in runs)
    oldest = runs[1]
    assert [(o.side, o.asset) for o in oldest.orders] == [(o.side, o.asset) for o in first.orders]
    assert oldest.orders[0].side is Side.SELL
    assert oldest.orders[0].filled == Decimal("0.225")
    assert all(o.status == "filled" for o in oldest.orders)
    assert oldest.traded_value == first.traded_value
    assert oldest.drift_before == first.drift_before
    assert [r.run_id for r in app.history(1)] == [second.run_id]


# -- alerts --------------------------------------------------------------------------------


async def test_poll_drift_alerts_once_when_a_rebalance_is_due_and_not_again_while_due(
    app: Rebalancer,
) -> None:
    alert = await app.poll_drift()

    assert alert is not None
    assert alert.plan.rebalance_due
    assert await app.poll_drift() is None
    assert await app.poll_drift() is None


async def test_drift_alerts_re_arm_once_new_targets_bring_the_portfolio_back_in_band(
    app: Rebalancer,
) -> None:
    assert await app.poll_drift() is not None

    await app.set_targets(CURRENT_WEIGHTS)
    assert await app.poll_drift() is None

    await app.set_targets("BTC=40,ETH=30,SOL=20,ADA=10")
    assert await app.poll_drift() is not None
    assert await app.poll_drift() is None


async def test_drift_alerts_re_arm_once_a_lock_brings_the_portfolio_back_in_band(
    app: Rebalancer,
) -> None:
    assert await app.poll_drift() is not None

    # Drift is measured inside the pool: with BTC alone locked, ETH is 66.7 % of the rest
    # against a 50 % target, still due. With SOL and ADA locked too, ETH is all of the pool.
    for symbol in ("BTC", "SOL", "ADA"):
        await app.lock(symbol, OWNER)
    assert not (await app.check()).rebalance_due
    assert await app.poll_drift() is None

    app.unlock("BTC")
    assert await app.poll_drift() is not None


async def test_a_restart_does_not_repeat_a_drift_alert(db_url: str) -> None:
    async with opened(db_url) as app:
        assert await app.poll_drift() is not None

    async with opened(db_url) as app:
        assert await app.poll_drift() is None


async def test_note_check_failure_is_true_exactly_on_the_third_consecutive_failure(
    app: Rebalancer,
) -> None:
    assert [app.note_check_failure() for _ in range(6)] == [False, False, True] + [False] * 3


async def test_a_successful_check_starts_the_failure_count_again(app: Rebalancer) -> None:
    assert [app.note_check_failure() for _ in range(2)] == [False, False]

    await app.poll_drift()

    assert [app.note_check_failure() for _ in range(3)] == [False, False, True]


async def test_alerts_are_on_by_default_and_set_alerts_persists_across_a_restart(
    db_url: str,
) -> None:
    async with opened(db_url) as app:
        assert app.alerts_enabled(OWNER) is True
        app.set_alerts(OWNER, False)
        assert app.alerts_enabled(OWNER) is False
        assert app.alerts_enabled(FRIEND) is True

    async with opened(db_url) as app:
        assert app.alerts_enabled(OWNER) is False
        assert app.alerts_enabled(FRIEND) is True
        app.set_alerts(OWNER, True)

    async with opened(db_url) as app:
        assert app.alerts_enabled(OWNER) is True
