"""What the exchange said of journaled orders: results and fills recorded as one, lost
answers resolved by client order id (one query per round), never by sending again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

import structlog

from core.app.api import OrderOutcome
from core.app.ports import Exchange
from core.app.records import FillRecord, JournalEntry
from core.app.repositories import Store
from core.domain.orders import OrderResult
from core.domain.statuses import OrderStatus
from core.errors import ExchangeError, TemporaryError

log = structlog.get_logger(__name__)

CONFIRM_DELAYS = (0.05, 0.2, 0.5, 1.5)  # market orders close at once; lost ones need a moment
Sleep = Callable[[float], Awaitable[None]]  # how a use case waits (tests pass FakeTime.sleep)


def apply_result(store: Store, cid: str, result: OrderResult, now: datetime) -> None:
    """Record what the exchange said of an order, and its fill.

    The exchange's reason replaces any earlier error: an order whose answer was lost and
    which was then found filled no longer reads "it may or may not have been placed".
    """
    with store.unit_of_work() as uow:
        entry = _update(store, cid, result, now)
        if result.done and result.filled > 0:
            store.record_fill(fill_record(entry, result, now, _trigger(store, entry.run_id)))
        uow.commit()


def _trigger(store: Store, run_id: int | None) -> str:
    """What started the run an order belongs to ("" when it has none)."""
    runs = store.runs_by_id([run_id]) if run_id is not None else []
    return runs[0].trigger if runs else ""


def _update(store: Store, cid: str, result: OrderResult, now: datetime) -> JournalEntry:
    return store.journal_update(
        cid,
        status=result.state,
        exchange_order_id=result.exchange_id,
        filled_amount=result.filled,
        average_price=result.average_price,
        cost=result.cost,
        fee=result.fee,
        error=result.reason,
        now=now,
    )


def fill_record(
    entry: JournalEntry, result: OrderResult, now: datetime, trigger: str = ""
) -> FillRecord:
    """The fill of one journaled order. Its pair and mode are the journal's (what was sent):
    the exchange may name a pair no longer in its catalogue (a delisted market)."""
    base, _, quote = entry.symbol.partition("/")
    return FillRecord(
        exchange_order_id=result.exchange_id,
        client_order_id=entry.client_order_id,
        symbol=entry.symbol,
        side=entry.side,
        amount=result.filled,
        price=result.average_price or result.cost / result.filled,
        cost=result.cost,
        fee=result.fee,
        fee_currency=result.fee_currency or quote or base,
        filled_at=result.closed_at or now,
        mode=entry.mode or "live",
        run_id=entry.run_id,
        trigger=trigger,
    )


async def confirm(
    exchange: Exchange,
    store: Store,
    clock: Callable[[], datetime],
    client_ids: Sequence[str],
    delays: Sequence[float] = CONFIRM_DELAYS,
    *,
    sleep: Sleep = asyncio.sleep,
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
            await sleep(delay)
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
    if entry.status is OrderStatus.UNKNOWN and not reason:
        reason = "answer lost; not found at the exchange yet: it is checked again automatically"
    return OrderOutcome(
        client_order_id=entry.client_order_id,
        asset=entry.symbol.partition("/")[0],
        symbol=entry.symbol,
        side=entry.side,
        requested=entry.amount,
        filled=entry.filled_amount,
        average_price=entry.average_price,
        cost=entry.cost,
        fee=entry.fee,
        status=entry.status,
        reason=reason,
    )
