"""May a database be overwritten by a restore now? Not while anything could be lost or torn.

`hold_for_restore` records the restoring process as the database's bot (so no bot starts
while the copy goes in) and refuses (OperationRefused) while another bot's heartbeat on it
is fresh (`restore_busy`: stop the bot first), while a rebalance holds the account or was
interrupted and not yet reconciled (`restore_busy`), or while an order's outcome is not
known yet (`restore_unresolved`: overwriting would forget an order that may be on the
exchange; the next start reconciles it).
"""

from __future__ import annotations

from core.app.instance import INSTANCE_STALE_SECONDS
from core.app.lease import LeaseTerms
from core.app.records import InstanceBeat
from core.app.repositories import Store
from core.errors import OperationRefused


def hold_for_restore(
    store: Store, terms: LeaseTerms, stale_seconds: float = INSTANCE_STALE_SECONDS
) -> None:
    """Hold the database for a restore by `terms.owner`, or raise why it may not be."""
    other = store.claim_instance(terms.owner, stale_seconds, terms.is_dead)
    if other is not None:
        raise _bot_running(other)
    refusal = _work_in_progress(store)
    if refusal is not None:
        store.release_instance(terms.owner)
        raise refusal


def _bot_running(beat: InstanceBeat) -> OperationRefused:
    owner = beat.owner
    return OperationRefused(
        f"a bot is running on this database (host {owner.host}, pid {owner.pid}, last "
        f"heartbeat {int(beat.age_s)} s ago)",
        code="restore_busy",
        data={"host": owner.host, "pid": owner.pid, "age_s": round(beat.age_s)},
    )


def _work_in_progress(store: Store) -> OperationRefused | None:
    runs, executing = store.unfinished_runs(), store.lease_holder()
    if runs or executing is not None:
        return OperationRefused(
            "a rebalance is in progress on this database (or was interrupted and is not "
            "reconciled yet): restoring now would forget its orders",
            code="restore_busy",
            data={"runs": [run.id for run in runs], "holder": executing},
        )
    unresolved = store.journal_unresolved()
    if unresolved:
        return OperationRefused(
            f"{len(unresolved)} order(s) on this database have an outcome not known yet: "
            "restoring now would forget orders that may be on the exchange",
            code="restore_unresolved",
            data={"orders": len(unresolved)},
        )
    return None
