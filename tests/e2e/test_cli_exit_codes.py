"""`rebalance-bot rebalance --yes` as cron runs it: a real process against the fake Kraken;
the exit code says how the run ended, so scripts notice (README: exit codes)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.e2e.conftest import CLI, cli_env
from tests.fakes.kraken_server import FakeKraken


async def rebalance_yes(kraken: FakeKraken, db: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        CLI,
        "rebalance",
        "--yes",
        env=cli_env(kraken, f"sqlite:///{db}"),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.fixture
async def kraken() -> FakeKraken:
    async with FakeKraken() as fake:
        yield fake  # type: ignore[misc]


async def test_a_full_rebalance_exits_0(kraken: FakeKraken, tmp_path: Path) -> None:
    code, out = await rebalance_yes(kraken, tmp_path / "db.sqlite")
    assert (code, "Rebalance full" in out) == (0, True)


async def test_a_partial_rebalance_exits_3(kraken: FakeKraken, tmp_path: Path) -> None:
    kraken.fail_next("AddOrder", "EOrder:Insufficient funds", when={"pair": "SOLEUR"})
    code, out = await rebalance_yes(kraken, tmp_path / "db.sqlite")
    assert (code, "Rebalance partial" in out) == (3, True)


async def test_a_rebalance_where_no_order_filled_exits_4(
    kraken: FakeKraken, tmp_path: Path
) -> None:
    kraken.fail_next("AddOrder", "EOrder:Insufficient funds", times=10)
    code, out = await rebalance_yes(kraken, tmp_path / "db.sqlite")
    assert (code, "Rebalance failed" in out) == (4, True)


async def test_a_rebalance_with_an_order_of_unknown_outcome_exits_5(
    kraken: FakeKraken, tmp_path: Path
) -> None:
    kraken.fail_next("AddOrder", "html", when={"pair": "XXBTZEUR"})  # the answer is lost
    code, out = await rebalance_yes(kraken, tmp_path / "db.sqlite")
    assert code == 5
    assert "Rebalance outcome not known yet" in out
    assert "1 order's outcome is not known yet: it may have been placed" in out
    assert "see `rebalance-bot history`" in out and "/history" not in out
    assert kraken.count("AddOrder") == 1  # the sell is never resent; no buy without its cash


async def test_a_cron_run_inside_the_cooldown_with_nothing_due_exits_0(
    kraken: FakeKraken, tmp_path: Path
) -> None:
    """An hourly `rebalance --yes`: the run after a full rebalance finds nothing to do."""
    db = tmp_path / "db.sqlite"
    assert (await rebalance_yes(kraken, db))[0] == 0
    code, out = await rebalance_yes(kraken, db)
    assert (code, "No rebalance is due" in out) == (0, True)
    assert kraken.count("AddOrder") == 4  # the first run's orders only


async def test_a_reader_that_stops_early_gets_no_traceback(tmp_path: Path) -> None:
    """`rebalance-bot history | head -1`: the pipe closes before the output is all written."""
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write meets a broken pipe
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    env |= {
        "TRADING_MODE": "paper",
        "PAPER_MARKET_DATA": "snapshot",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
    }
    process = await asyncio.create_subprocess_exec(
        CLI, "preview", env=env, stdout=write, stderr=asyncio.subprocess.PIPE
    )
    os.close(write)
    _, err = await process.communicate()
    assert process.returncode == 0
    assert b"Traceback" not in err
