"""Recovery of maker-first orders a dead process left working (run at start-up, under the
account lease, after `recovery.reconcile_orders` has asked the exchange about every
unresolved journal entry).

Each resting leg of an unfinished maker order is found by its client order id, cancelled
(the cancel journaled before it is sent), the cancel confirmed by reading the order back,
and its fills recorded. No remainder is sent again: the run it belonged to is then finished
by `finish_interrupted_runs`, as partial. A maker order whose legs are all resolved is
closed with a note saying so; one with a leg still unknown is left for the next round.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from core.app.api import OrderOutcome
from core.app.journal import outcome
from core.app.lease import Lease
from core.app.maker_legs import LegDesk, LegState
from core.app.maker_ports import Leg, MakerJournal, MakerStore
from core.app.order_desk import local_write
from core.app.ports import MakerExchange
from core.app.recovery import refresh_run_totals
from core.domain.statuses import OrderStatus

log = structlog.get_logger(__name__)
CANCELLED_AT_RESTART = "the process stopped while it rested: cancelled at restart, fills recorded"


async def reconcile_maker_orders(  # noqa: PLR0917
    exchange: MakerExchange,
    store: MakerStore,
    clock: Callable[[], datetime],
    mode: str,
    lease: Lease | None,
    outcomes: list[OrderOutcome],
) -> list[OrderOutcome]:
    """After the journal was reconciled: cancel what still rests, redo the totals of runs
    that had ended, and return `outcomes` as they stand now."""
    legs = await cancel_resting_orders(exchange, store, clock, mode, lease)
    if not legs:
        return outcomes
    refresh_run_totals(store, legs, clock())
    now = {e.client_order_id: outcome(e) for e in store.journal_for_ids(legs)}
    return [now.get(o.client_order_id, o) for o in outcomes]


async def cancel_resting_orders(
    exchange: MakerExchange,
    store: MakerJournal,
    clock: Callable[[], datetime],
    mode: str,
    lease: Lease | None = None,
) -> list[str]:
    """Cancel every leg still open of this mode's unfinished maker orders; returns the client
    order ids of their legs (whose runs' totals may need redoing)."""
    touched: list[str] = []
    for record in store.unfinished_maker_orders(mode):
        desk = LegDesk(exchange, store, clock, record.plan_id, mode, lease)
        desk.run_id = record.run_id
        touched += await _recover(desk, store, record.id, clock)
    return touched


async def _recover(
    desk: LegDesk, store: MakerJournal, maker_order_id: str, clock: Callable[[], datetime]
) -> list[str]:
    """Cancel one maker order's resting leg and close it if nothing is unresolved; the client
    order ids of its legs."""
    legs = [_state(leg) for leg in store.legs([maker_order_id])]
    await desk.read([leg for leg in legs if leg.live])
    for leg in legs:
        if leg.status is OrderStatus.OPEN and not await desk.cancel(leg):
            await desk.read([leg])
    if any(leg.live for leg in legs):
        log.warning("reconcile.maker_order_unresolved", maker_order_id=maker_order_id)
        return [leg.client_id for leg in legs]
    note = CANCELLED_AT_RESTART if legs else "the process stopped before it was placed"
    await local_write(lambda: store.finish_maker_order(maker_order_id, note=note, now=clock()))
    log.info("reconcile.maker_order_closed", maker_order_id=maker_order_id, legs=len(legs))
    return [leg.client_id for leg in legs]


def _state(leg: Leg) -> LegState:
    entry = leg.entry
    return LegState(
        client_id=entry.client_order_id,
        symbol=entry.symbol,
        post_only=leg.post_only,
        amount=entry.amount,
        limit=leg.limit_price,
        moved_at=entry.updated_at,
        exchange_id=entry.exchange_order_id,
        status=entry.status,
        filled=entry.filled_amount,
        cost=entry.cost,
        fee=entry.fee,
        reason=entry.error or "",
    )
