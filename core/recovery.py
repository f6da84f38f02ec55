"""Recovery after a crash: unresolved orders asked about, interrupted runs finished.

Runs only under the account lease, so it never races an execution in progress; a lease
left by a dead process is taken over once stale (see `Rebalancer.reconcile`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from core.domain.execution import run_outcome
from core.domain.models import ZERO
from core.orders import confirm, outcome, unresolved_entries
from core.ports import Exchange
from core.results import OrderOutcome, RunOutcome
from core.store.records import JournalStatus, PlanStatus, RunRecord
from core.store.repo import Store

log = structlog.get_logger(__name__)


async def reconcile_orders(
    exchange: Exchange,
    store: Store,
    clock: Callable[[], datetime],
    settle_seconds: float = 120,
) -> list[OrderOutcome]:
    """Resolve every unresolved journal entry by asking the exchange; never by resending.

    An order the exchange does not know, journaled more than `settle_seconds` ago, was
    never placed (the process died before sending, or the request never arrived).
    """
    entries = store.journal_unresolved()
    if not entries:
        return []
    ids = [e.client_order_id for e in entries]
    if await confirm(exchange, store, clock, ids, delays=()):
        _mark_never_placed(store, ids, clock(), settle_seconds)
    else:
        log.warning("reconcile.lookup_failed", unresolved=len(ids))
    resolved = {e.client_order_id: e for e in store.journal_for_ids(ids)}
    outcomes = [outcome(resolved[i]) for i in ids]
    for o in outcomes:
        log.info("reconcile.order", client_order_id=o.client_order_id, status=o.status)
    return outcomes


def _mark_never_placed(
    store: Store, client_ids: list[str], now: datetime, settle_seconds: float
) -> None:
    """Orders the exchange, when asked, did not know, and that have had time to arrive."""
    for e in unresolved_entries(store, client_ids):
        age = (now - e.created_at).total_seconds()
        if e.exchange_order_id is None and age >= settle_seconds:
            store.journal_update(
                e.client_order_id,
                status=JournalStatus.REJECTED,
                error="not found at the exchange when reconciled: it was never placed",
                now=now,
            )


def finish_interrupted_runs(store: Store, now: datetime) -> int:
    """Record the outcome of runs whose process died, once all their orders are resolved."""
    finished = 0
    for run in store.unfinished_runs():
        if any(e.status.unresolved for e in run.orders):
            continue
        _finish(store, run, now)
        finished += 1
    return finished


def _finish(store: Store, run: RunRecord, now: datetime) -> None:
    statuses = [e.status.value for e in run.orders]
    ok = sum(1 for s in statuses if s == JournalStatus.FILLED.value)
    store.finish_run(
        run.id,
        outcome=RunOutcome(run_outcome(statuses)),
        drift_after=None,
        traded_value=sum((e.cost for e in run.orders), ZERO),
        fees=sum((e.fee for e in run.orders), ZERO),
        duration_s=(now - run.started_at).total_seconds(),
        orders_ok=ok,
        orders_failed=len(statuses) - ok,
        orders_skipped=0,
        note="interrupted; outcome recorded by reconciliation after a restart",
        now=now,
    )
    store.set_plan_status(run.plan_id, PlanStatus.EXECUTED, now)
    log.info("reconcile.run_finished", run_id=run.id, orders=len(statuses))
