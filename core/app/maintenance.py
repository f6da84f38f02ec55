"""May a database be overwritten by a restore now? Not while anything could be lost or torn.

Refused (OperationRefused) while a bot's heartbeat on it is fresh (`restore_busy`: stop
the bot first), while a rebalance is in progress or was interrupted and not yet reconciled,
or while an order's outcome is not known yet (`restore_unresolved`: overwriting would
forget an order that may be on the exchange; the next start reconciles it).
"""

from __future__ import annotations

from core.app.instance import INSTANCE_STALE_SECONDS, fresh_instance
from core.app.repositories import Store
from core.errors import OperationRefused


def restore_refusal(
    store: Store, stale_seconds: float = INSTANCE_STALE_SECONDS
) -> OperationRefused | None:
    """Why the database behind `store` may not be overwritten now; None when it may."""
    beat = fresh_instance(store, stale_seconds)
    if beat is not None:
        owner = beat.owner
        return OperationRefused(
            f"a bot is running on this database (host {owner.host}, pid {owner.pid}, last "
            f"heartbeat {beat.age_s:.0f} s ago): stop it, then restore",
            code="restore_busy",
            data={"host": owner.host, "pid": owner.pid, "age_s": round(beat.age_s)},
        )
    runs, executing = store.unfinished_runs(), store.lease_holder()
    if runs or executing is not None:
        return OperationRefused(
            "a rebalance is in progress on this database (or was interrupted and is not "
            "reconciled yet): restoring now would forget its orders; let it finish (the next "
            "start reconciles an interrupted one), then restore",
            code="restore_busy",
            data={"runs": [run.id for run in runs], "holder": executing},
        )
    unresolved = store.journal_unresolved()
    if unresolved:
        return OperationRefused(
            f"{len(unresolved)} order(s) on this database have an outcome not known yet: "
            "restoring now would forget orders that may be on the exchange; let them be "
            "reconciled first (at the next start), then restore",
            code="restore_unresolved",
            data={"orders": len(unresolved)},
        )
    return None
