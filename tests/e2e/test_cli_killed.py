"""A real `rebalance-bot rebalance --yes` process killed with SIGKILL after its first order
reached Kraken but before the answer came back; the next start reconciles it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from core.domain.statuses import OrderStatus, RunOutcome
from core.store.db import make_engine
from core.store.repo import Store
from tests.e2e.conftest import CLI, cli_env
from tests.fakes.kraken_server import FakeKraken

pytestmark = pytest.mark.both_engines  # the CLI on a SQLite file, then on PostgreSQL


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
    empty_db_url: str,
) -> None:
    async with FakeKraken() as kraken:
        env = cli_env(kraken, empty_db_url)
        await killed_after_its_first_order(kraken, env)

        store = Store(make_engine(empty_db_url))
        (sent,) = store.journal_unresolved()
        assert sent.status is OrderStatus.SENT and sent.exchange_order_id is None
        # No waiting for the lease to go stale: the next process sees its holder is dead.

        restarted = await asyncio.create_subprocess_exec(
            CLI, "history", env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await restarted.communicate()

        (booked,) = kraken.orders
        assert restarted.returncode == 0
        (resolved,) = store.journal_for_ids([sent.client_order_id])
        assert resolved.status is OrderStatus.FILLED
        assert resolved.exchange_order_id == booked.txid
        assert kraken.count("AddOrder") == 1  # found by its client id, never sent again
        (run,) = store.history(5)
        assert run.outcome is RunOutcome.PARTIAL  # the orders after the crash never went out
        assert b"partial" in out
        store.close()


async def test_a_restart_right_after_the_kill_reconciles_at_once_without_waiting_for_the_lease(
    empty_db_url: str,
) -> None:
    """The supervisor restarts at once; the lease (300 s stale age) is its dead
    predecessor's on this host: taken over at once, the order found, nothing resent."""
    async with FakeKraken() as kraken:
        env = cli_env(kraken, empty_db_url) | {"LEASE_STALE_SECONDS": "300"}
        await killed_after_its_first_order(kraken, env)
        restarted = await asyncio.create_subprocess_exec(
            CLI, "history", env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await restarted.communicate()
        store = Store(make_engine(empty_db_url))
        assert store.journal_unresolved() == []
        assert store.lease_holder() is None
        assert kraken.count("AddOrder") == 1
        assert b"partial" in out
        store.close()
