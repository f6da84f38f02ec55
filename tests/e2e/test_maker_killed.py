"""A real `rebalance-bot rebalance --yes` process with ORDER_TYPE=maker-first, SIGKILLed while
its post-only order rests on Kraken (part of it filled); the next start finds it by its
client order id, cancels it, confirms the cancel, records its fills and reports the run as
partial. Nothing is placed again."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from core.domain.statuses import OrderStatus, RunOutcome
from core.store.db import make_engine
from core.store.repo import Store
from tests.e2e.conftest import CLI, cli_env
from tests.e2e.test_cli_killed import until
from tests.fakes.kraken_server import FakeKraken

pytestmark = pytest.mark.both_engines  # the journal and recovery on SQLite, then PostgreSQL


async def test_a_cli_killed_while_its_maker_order_rests_is_cancelled_and_recorded_at_restart(
    empty_db_url: str,
) -> None:
    async with FakeKraken() as kraken:
        env = cli_env(kraken, empty_db_url) | {
            "ORDER_TYPE": "maker-first",
            "MAKER_TIMEOUT_SECONDS": "600",
        }
        doomed = await asyncio.create_subprocess_exec(
            CLI, "rebalance", "--yes", env=env, stdout=asyncio.subprocess.DEVNULL
        )
        await until(lambda: any(o.status == "open" for o in kraken.orders))
        (resting,) = [o for o in kraken.orders if o.status == "open"]
        part = (Decimal(resting.volume) / 3).quantize(Decimal("1e-8"))
        kraken.fill_order(resting.txid, volume=str(part))
        doomed.kill()  # SIGKILL while the order rests: no cancel, the lease never given back
        await doomed.wait()
        placed = kraken.count("AddOrder")

        restarted = await asyncio.create_subprocess_exec(
            CLI, "history", env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await restarted.communicate()

        assert restarted.returncode == 0
        assert all(o.status != "open" for o in kraken.orders)
        assert kraken.count("CancelOrder") == 1
        assert kraken.count("AddOrder") == placed  # never placed again
        store = Store(make_engine(empty_db_url))
        (entry,) = store.journal_for_ids([resting.cl_ord_id or ""])
        assert (entry.status, entry.filled_amount) == (OrderStatus.PARTIAL, part)
        assert [f.amount for f in store.fills()] == [part]
        assert store.order_changes(entry.client_order_id) == [("cancel", "done")]
        (run,) = store.history(5)
        assert run.outcome is RunOutcome.PARTIAL
        assert b"partial" in out
        store.close()
