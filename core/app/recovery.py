"""Recovery after a crash: unresolved orders asked about, interrupted runs finished.

Runs only under the account lease, so it never races an execution in progress; a lease
left by a dead process is taken over once stale (see `Rebalancer.reconcile`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import structlog

from core.app.api import OrderOutcome
from core.app.journal import confirm, outcome, unresolved_entries
from core.app.ports import Exchange
from core.app.records import JournalEntry, RunRecord
from core.app.repositories import Store
from core.domain.codec import plan_from_dict
from core.domain.models import ZERO
from core.domain.statuses import OrderStatus, PlanStatus, RunOutcome, run_outcome

log = structlog.get_logger(__name__)
INTERRUPTED = "interrupted; outcome recorded by reconciliation after a restart"


async def reconcile_orders(
    exchange: Exchange,
    store: Store,
    clock: Callable[[], datetime],
    mode: str,
    settle_seconds: float = 120,
) -> list[OrderOutcome]:
    """Resolve every unresolved journal entry by asking the exchange; never by resending.

    An order the exchange does not know, journaled more than `settle_seconds` ago, was
    never placed (the process died before sending, or the request never arrived).
    """
    entries = store.journal_unresolved(mode)
    if not entries:
        return []
    ids = [e.client_order_id for e in entries]
    if await confirm(exchange, store, clock, ids, delays=()):
        _mark_never_placed(store, ids, clock(), settle_seconds)
    else:
        log.warning("reconcile.lookup_failed", unresolved=len(ids))
    _label_decided(store, entries)
    refresh_run_totals(store, ids, clock())
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
                status=OrderStatus.REJECTED,
                error="not found at the exchange when reconciled: it was never placed",
                now=now,
            )


def _label_decided(store: Store, entries: list[JournalEntry]) -> None:
    """Orders of unknown mode (from before revision 0003) that this live process has now
    decided belong to live mode, with their plans and runs."""
    legacy = sorted({e.client_order_id for e in entries if e.mode is None})
    if not legacy:
        return
    now = store.journal_for_ids(legacy)
    decided = [e.client_order_id for e in now if not e.status.unresolved]
    if decided and (plans := store.label_live(decided)):
        log.info("reconcile.labelled_live", orders=len(decided), plans=plans)


def refresh_run_totals(store: Store, client_ids: list[str], now: datetime) -> None:
    """Finished runs whose orders were resolved late get their totals and outcome redone."""
    run_ids = {e.run_id for e in store.journal_for_ids(client_ids) if e.run_id is not None}
    for run in store.runs_by_id(run_ids):
        if run.outcome is not RunOutcome.RUNNING and not any(
            e.status.unresolved for e in run.orders
        ):
            _finish(store, run, now, note=run.note or "totals updated by reconciliation")


def finish_interrupted_runs(store: Store, now: datetime, mode: str) -> int:
    """Record the outcome of runs whose process died, once all their orders are resolved."""
    finished = 0
    for run in store.unfinished_runs(mode):
        if any(e.status.unresolved for e in run.orders):
            continue
        _finish(store, run, now, note=INTERRUPTED)
        finished += 1
    return finished


def _finish(store: Store, run: RunRecord, now: datetime, *, note: str) -> None:
    """The run's totals and outcome from its journal, and its plan executed, as one."""
    with store.unit_of_work() as uow:
        _finish_run(store, run, now, note=note)
        store.set_plan_status(run.plan_id, PlanStatus.EXECUTED, now)
        uow.commit()
    log.info("reconcile.run_finished", run_id=run.id, orders=len(run.orders))


def _finish_run(store: Store, run: RunRecord, now: datetime, *, note: str) -> None:
    statuses = [e.status for e in run.orders]
    ok = sum(1 for s in statuses if s is OrderStatus.FILLED)
    outcome = run_outcome(statuses, dropped=_never_sent(store, run))
    store.finish_run(
        run.id,
        outcome=_interrupted(outcome) if note == INTERRUPTED else outcome,
        drift_after=run.drift_after,
        traded_value=sum((e.cost for e in run.orders), ZERO),
        fees=sum((e.fee for e in run.orders), ZERO),
        duration_s=run.duration_s or (now - run.started_at).total_seconds(),
        orders_ok=ok,
        orders_failed=len(statuses) - ok,
        orders_skipped=run.orders_skipped,
        note=note,
        now=now,
    )


def _never_sent(store: Store, run: RunRecord) -> int:
    """Planned orders the run has no journal entry for: re-sized away, or never reached."""
    record = store.get_plan(run.plan_id)
    if record is None:
        return 0
    planned = plan_from_dict(json.loads(record.payload_json)).orders
    sent = {(e.symbol, e.side) for e in run.orders}
    return sum((o.symbol, o.side) not in sent for o in planned)


def _interrupted(outcome: RunOutcome) -> RunOutcome:
    """A run cut short never counts as full: orders after the crash were never sent."""
    return RunOutcome.PARTIAL if outcome is RunOutcome.FULL else outcome
