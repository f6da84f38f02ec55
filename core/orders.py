"""The order desk: every order journaled before it is sent, never sent twice.

A definite rejection is recorded as such. A lost answer (OrderOutcomeUnknown) is resolved
by looking the order up by its client order id; if the exchange does not know it yet the
entry stays `unknown` and is reconciled before anything else runs next time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from core.domain.models import PlannedOrder
from core.domain.orders import OrderRequest, OrderResult, OrderState
from core.errors import AuthenticationError, ExchangeError, OrderOutcomeUnknown, TemporaryError
from core.ports import Exchange
from core.results import OrderOutcome
from core.store.records import FillRecord, JournalEntry, JournalStatus
from core.store.repo import Store

log = structlog.get_logger(__name__)

CONFIRM_DELAYS = (0.05, 0.2, 0.5, 1.5)  # market orders close at once; lost ones need a moment
STATE_TO_STATUS = {
    OrderState.OPEN: JournalStatus.OPEN,
    OrderState.FILLED: JournalStatus.FILLED,
    OrderState.PARTIAL: JournalStatus.PARTIAL,
    OrderState.CANCELED: JournalStatus.CANCELED,
    OrderState.REJECTED: JournalStatus.REJECTED,
}


def new_client_order_id() -> str:
    """A UUID: one of the three forms Kraken accepts as `cl_ord_id`."""
    return str(uuid.uuid4())


class OrderDesk:
    """Sends one wave of orders for one plan, then confirms them with one query per round."""

    def __init__(
        self,
        exchange: Exchange,
        store: Store,
        clock: Callable[[], datetime],
        plan_id: str,
        confirm_delays: Sequence[float] = CONFIRM_DELAYS,
    ) -> None:
        self.exchange, self.store, self.clock = exchange, store, clock
        self.plan_id = plan_id
        self.run_id: int | None = None
        self.confirm_delays = confirm_delays
        self._halt_reason = ""

    def halt(self, reason: str) -> None:
        """From now on, journal each order as rejected with `reason` instead of sending it."""
        self._halt_reason = reason

    async def send_and_confirm(self, orders: Sequence[PlannedOrder]) -> list[OrderOutcome]:
        ids = [await self._send(order) for order in orders]
        await confirm(self.exchange, self.store, self.clock, ids, self.confirm_delays)
        entries = {e.client_order_id: e for e in self.store.journal_for_plan(self.plan_id)}
        return [outcome(entries[i]) for i in ids]

    async def _send(self, order: PlannedOrder) -> str:
        cid = new_client_order_id()
        store, now = self.store, self.clock()
        store.journal_intent(
            self.plan_id, self.run_id, cid, order.symbol, order.side, order.amount, now
        )
        if not store.refresh_lease(self.plan_id, now):
            self.halt(
                "not sent: this execution lost its lease (it stalled past LEASE_STALE_SECONDS "
                "and another run may have started)"
            )
        if self._halt_reason:
            store.journal_update(
                cid, status=JournalStatus.REJECTED, error=self._halt_reason, now=now
            )
            return cid
        store.journal_update(cid, status=JournalStatus.SENT, now=now)
        request = OrderRequest(cid, order.symbol, order.side, order.amount)
        try:
            result = await self.exchange.place_order(request)
        except OrderOutcomeUnknown as e:
            log.warning("order.answer_lost", client_order_id=cid, error=str(e))
            store.journal_update(cid, status=JournalStatus.UNKNOWN, error=str(e), now=self.clock())
        except ExchangeError as e:
            self._note_rejection(cid, e)
        else:
            apply_result(store, cid, result, self.clock())
        return cid

    def _note_rejection(self, cid: str, error: ExchangeError) -> None:
        log.warning("order.rejected", client_order_id=cid, reason=error.reason)
        self.store.journal_update(
            cid, status=JournalStatus.REJECTED, error=error.reason, now=self.clock()
        )
        if isinstance(error, AuthenticationError):
            self.halt(f"not sent: {error}")


def apply_result(store: Store, cid: str, result: OrderResult, now: datetime) -> None:
    """Record what the exchange said of an order, and its fill.

    The exchange's reason replaces any earlier error: an order whose answer was lost and
    which was then found filled no longer reads "it may or may not have been placed".
    """
    status = STATE_TO_STATUS[result.state]
    store.journal_update(
        cid,
        status=status,
        exchange_order_id=result.exchange_id,
        filled_amount=result.filled,
        average_price=result.average_price,
        cost=result.cost,
        fee=result.fee,
        error=result.reason,
        now=now,
    )
    if result.done and result.filled > 0 and result.average_price is not None:
        store.record_fill(_fill(cid, result, now))


def _fill(cid: str, result: OrderResult, now: datetime) -> FillRecord:
    return FillRecord(
        exchange_order_id=result.exchange_id,
        client_order_id=cid,
        symbol=result.symbol,
        side=result.side,
        amount=result.filled,
        price=result.average_price or result.cost / result.filled,
        cost=result.cost,
        fee=result.fee,
        fee_currency=result.symbol.split("/")[1],
        filled_at=now,
    )


async def confirm(
    exchange: Exchange,
    store: Store,
    clock: Callable[[], datetime],
    client_ids: Sequence[str],
    delays: Sequence[float] = CONFIRM_DELAYS,
) -> bool:
    """Resolve lost answers by client id, then wait for open orders: one query per round.

    Returns whether the exchange answered the last lookup round: only then does "not found"
    mean anything. A failed lookup leaves entries unresolved; it never decides them.
    """
    answered = False
    for delay in (0.0, *delays):
        pending = [e for e in unresolved_entries(store, client_ids) if e.status.unresolved]
        if not pending:
            return True
        if delay:
            await asyncio.sleep(delay)
        try:
            await _resolve_round(exchange, store, clock, pending)
            answered = True
        except ExchangeError as e:
            answered = False
            log.warning(
                "order.confirm_failed", error=str(e), retryable=isinstance(e, TemporaryError)
            )
    return answered


async def _resolve_round(
    exchange: Exchange,
    store: Store,
    clock: Callable[[], datetime],
    pending: Sequence[JournalEntry],
) -> None:
    lost = [e.client_order_id for e in pending if e.exchange_order_id is None]
    if lost:
        for cid, result in (await exchange.find_orders(lost)).items():
            apply_result(store, cid, result, clock())
    known = {e.exchange_order_id: e.client_order_id for e in pending if e.exchange_order_id}
    if known:
        results = await exchange.fetch_orders([k for k in known if k])
        for xid, result in results.items():
            apply_result(store, known[xid], result, clock())


def unresolved_entries(store: Store, client_ids: Sequence[str]) -> list[JournalEntry]:
    wanted = set(client_ids)
    return [e for e in store.journal_unresolved() if e.client_order_id in wanted]


def outcome(entry: JournalEntry) -> OrderOutcome:
    """The report line of one journal entry."""
    reason = entry.error or ""
    if entry.status is JournalStatus.UNKNOWN and not reason:
        reason = "answer lost; not found at the exchange yet: it is checked again before any run"
    return OrderOutcome(
        client_order_id=entry.client_order_id,
        asset=entry.symbol.split("/")[0],
        symbol=entry.symbol,
        side=entry.side,
        requested=entry.amount,
        filled=entry.filled_amount,
        average_price=entry.average_price,
        cost=entry.cost,
        fee=entry.fee,
        status=entry.status.value,
        reason=reason,
    )
