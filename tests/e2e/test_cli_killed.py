"""A real `rebalance-bot rebalance --yes` process killed with SIGKILL after its first order
reached Kraken but before the answer came back; the next start reconciles it."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

from core.results import RunOutcome
from core.store.db import make_engine
from core.store.records import JournalStatus
from core.store.repo import Store
from tests.fakes.kraken_server import TEST_API_KEY, TEST_API_SECRET, FakeKraken

CLI = str(Path(sys.executable).with_name("rebalance-bot"))


def cli_env(kraken: FakeKraken, db: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return keep | {
        "TRADING_MODE": "live",
        "KRAKEN_API_URL": kraken.url,
        "KRAKEN_API_KEY": TEST_API_KEY,
        "KRAKEN_API_SECRET": TEST_API_SECRET,
        "DATABASE_URL": f"sqlite:///{db}",
        "LOG_LEVEL": "WARNING",
        "LEASE_STALE_SECONDS": "1",
    }


async def until(condition: Callable[[], bool], timeout: float = 60) -> None:  # noqa: ASYNC109
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def killed_after_its_first_order(kraken: FakeKraken, env: dict[str, str]) -> None:
    """A `rebalance --yes` process SIGKILLed once its first order reached Kraken."""
    kraken.fail_next("AddOrder", "delay_after:60")  # booked at once, answered much later
    doomed = await asyncio.create_subprocess_exec(
        CLI, "rebalance", "--yes", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    await until(lambda: len(kraken.orders) == 1)
    doomed.kill()  # SIGKILL: no cleanup, no answer read, the lease never given back
    await doomed.wait()


async def test_a_cli_killed_between_send_and_answer_is_reconciled_at_the_next_start(
    tmp_path: Path,
) -> None:
    db = tmp_path / "db.sqlite"
    async with FakeKraken() as kraken:
        env = cli_env(kraken, db)
        await killed_after_its_first_order(kraken, env)

        store = Store(make_engine(f"sqlite:///{db}"))
        (sent,) = store.journal_unresolved()
        assert sent.status is JournalStatus.SENT and sent.exchange_order_id is None
        await asyncio.sleep(1.1)  # the dead process's lease goes stale

        restarted = await asyncio.create_subprocess_exec(
            CLI, "history", env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await restarted.communicate()

        (booked,) = kraken.orders
        assert restarted.returncode == 0
        (resolved,) = store.journal_for_ids([sent.client_order_id])
        assert resolved.status is JournalStatus.FILLED
        assert resolved.exchange_order_id == booked.txid
        assert kraken.count("AddOrder") == 1  # found by its client id, never sent again
        (run,) = store.history(5)
        assert run.outcome is RunOutcome.PARTIAL  # the orders after the crash never went out
        assert b"partial" in out
        store.close()


async def test_a_restart_right_after_the_kill_reconciles_at_once_without_waiting_for_the_lease(
    tmp_path: Path,
) -> None:
    """The supervisor restarts at once; the lease (300 s stale age) is its dead
    predecessor's on this host: taken over at once, the order found, nothing resent."""
    db = tmp_path / "db.sqlite"
    async with FakeKraken() as kraken:
        env = cli_env(kraken, db) | {"LEASE_STALE_SECONDS": "300"}
        await killed_after_its_first_order(kraken, env)
        restarted = await asyncio.create_subprocess_exec(
            CLI, "history", env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await restarted.communicate()
        store = Store(make_engine(f"sqlite:///{db}"))
        assert store.journal_unresolved() == []
        assert store.lease_holder() is None
        assert kraken.count("AddOrder") == 1
        assert b"partial" in out
        store.close()
