"""Two real `rebalance-bot rebalance --yes` processes started at once on a new database and
one Kraken account: they migrate the database together, race for the account lease, and
exactly one execution places exactly one set of orders. The other is refused (or finds
nothing due any more) and places nothing. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from core.domain.statuses import RunOutcome
from core.store.db import make_engine
from core.store.repo import Store
from tests.e2e.conftest import CLI, cli_env
from tests.fakes.kraken_server import FakeKraken

pytestmark = pytest.mark.both_engines


async def rebalance_at_once(env: dict[str, str], n: int) -> list[tuple[int | None, str]]:
    """Start `n` CLIs together; each one's exit code and stderr."""
    processes = [
        await asyncio.create_subprocess_exec(
            CLI,
            "rebalance",
            "--yes",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(n)
    ]
    errors = await asyncio.gather(*(p.communicate() for p in processes))
    return [(p.returncode, err.decode()) for p, (_, err) in zip(processes, errors, strict=True)]


async def test_two_clis_rebalancing_at_once_on_a_new_database_place_one_set_of_orders(
    empty_db_url: str,
) -> None:
    async with FakeKraken() as kraken:
        kraken.latency = 0.05  # the winner's run lasts long enough for the other to meet it
        results = await rebalance_at_once(cli_env(kraken, empty_db_url), 2)
        placed = sorted(o.cl_ord_id or "" for o in kraken.orders)
        sends = kraken.count("AddOrder")

    assert sorted(code or 0 for code, _ in results) in ([0, 0], [0, 1]), results
    assert not any("database" in err.lower() for _, err in results), results
    store = Store(make_engine(empty_db_url))
    try:
        (run,) = store.history(5)
        journaled = sorted(o.client_order_id for o in run.orders)
        assert run.outcome is RunOutcome.FULL
        assert placed == journaled and sends == len(journaled) == 4
        assert store.journal_unresolved() == []
        assert store.lease_holder() is None
    finally:
        store.close()
