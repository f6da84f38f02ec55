"""The order desk: every order journaled before it is sent, never sent twice.

A definite rejection is recorded as such. A lost answer (OrderOutcomeUnknown) is resolved
by looking the order up by its client order id; if the exchange does not know it yet the
entry stays `unknown` and is reconciled again (on a timer, and before anything else runs).

Nothing is sent unless its intent was committed and the lease was refreshed just before.
The desk also keeps what it knows of each order in memory, so that a database that fails
after an order went out cannot lose the report: a failed journal write after an answer is
retried (a local write), never the order; if it still fails, the entry stays `sent` and
reconciliation finds the order by its client id later.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

import structlog
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from core.app.api import OrderOutcome
from core.app.journal import CONFIRM_DELAYS, Sleep, apply_result, confirm, outcome
from core.app.lease import Lease
from core.app.ports import Exchange
from core.app.records import JournalEntry
from core.app.repositories import Store
from core.domain.models import ZERO, PlannedOrder
from core.domain.orders import OrderRequest, OrderResult
from core.domain.statuses import OrderStatus
from core.errors import (
    AuthenticationError,
    ExchangeError,
    OrderOutcomeUnknown,
    StorageError,
)

log = structlog.get_logger(__name__)

T = TypeVar("T")
LOCAL_WRITE_ATTEMPTS = 4  # a journal write after an answer: tried this often, 0.2 s apart and up
LEASE_LOST = (
    "not sent: this execution could not refresh its lease (another run may have taken over, "
    "or the database did not answer)"
)
JOURNAL_FAILED = "not sent: the database failed, so the order could not be journaled first"


def new_client_order_id() -> str:
    """A UUID: one of the three forms Kraken accepts as `cl_ord_id`."""
    return str(uuid.uuid4())


async def local_write(write: Callable[[], T], sleep: Sleep = asyncio.sleep) -> T:
    """A database write retried with backoff on StorageError (a lock held too long)."""
    retrying = AsyncRetrying(
        sleep=sleep,
        stop=stop_after_attempt(LOCAL_WRITE_ATTEMPTS),
        wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception_type(StorageError),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return write()
    raise AssertionError("unreachable: tenacity reraises")


class OrderDesk:
    """Sends waves of orders for one plan, then confirms each wave with one query per round."""

    def __init__(  # noqa: PLR0917
        self,
        exchange: Exchange,
        store: Store,
        clock: Callable[[], datetime],
        plan_id: str,
        mode: str,
        lease: Lease | None = None,
        confirm_delays: Sequence[float] = CONFIRM_DELAYS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.exchange, self.store, self.clock = exchange, store, clock
        self.plan_id, self.mode, self.lease = plan_id, mode, lease
        self.run_id: int | None = None
        self.confirm_delays, self.sleep = confirm_delays, sleep
        self.known: dict[str, OrderOutcome] = {}  # what is known of each order, in send order
        self.sent_any = False  # whether any order may have reached the exchange
        self.storage_failed = False  # the journal could not follow: nothing more is sent
        self._halt_reason = ""

    def halt(self, reason: str) -> None:
        """From now on, journal each order as rejected with `reason` instead of sending it."""
        self._halt_reason = self._halt_reason or reason

    def outcomes(self) -> list[OrderOutcome]:
        return list(self.known.values())

    async def send_and_confirm(self, orders: Sequence[PlannedOrder]) -> list[OrderOutcome]:
        ids = [await self._send(order) for order in orders]
        await confirm(
            self.exchange, self.store, self.clock, ids, self.confirm_delays, sleep=self.sleep
        )
        entries = {e.client_order_id: e for e in self.store.journal_for_ids(ids)}
        for cid in ids:
            if cid in entries:
                self.known[cid] = outcome(entries[cid])
        return [self.known[i] for i in ids]

    async def _send(self, order: PlannedOrder) -> str:
        cid = new_client_order_id()
        request = OrderRequest(cid, order.symbol, order.side, order.amount)
        self.known[cid] = _planned(request)
        if not self._halt_reason and await self._journaled(request):
            await self._record(cid, OrderStatus.SENT)
        if self._halt_reason:  # nothing goes out unless its journal entry says so first
            await self._refused(request)
            return cid
        self.sent_any = True
        await self._place(request)
        return cid

    async def _journaled(self, request: OrderRequest) -> bool:
        """Commit the intent and a fresh lease as one; False (and a halt) if either fails."""

        def write() -> bool:
            with self.store.unit_of_work() as uow:
                if self.lease is not None and not self.lease.renew():
                    return False  # rolled back: no intent without the lease
                self._intent(request)
                uow.commit()
                return True

        try:
            if await local_write(write, self.sleep):
                return True
            self.halt(LEASE_LOST)
        except StorageError as e:
            log.error("order.intent_failed", client_order_id=request.client_id, error=str(e))
            self._storage_failure(JOURNAL_FAILED)
        return False

    async def _refused(self, request: OrderRequest) -> None:
        """An order the desk will not send, journaled as rejected with the reason (unless
        the database is what failed: then it is only reported)."""
        cid, reason = request.client_id, self._halt_reason
        self.known[cid] = _planned(request, OrderStatus.REJECTED, reason)
        if self.storage_failed or self.store.journal_for_ids([cid]):
            if not self.storage_failed:
                await self._record(cid, OrderStatus.REJECTED, error=reason)
            return

        def write() -> None:
            with self.store.unit_of_work() as uow:
                self._intent(request)
                self.store.journal_update(
                    cid, status=OrderStatus.REJECTED, error=reason, now=self.clock()
                )
                uow.commit()

        try:
            await local_write(write, self.sleep)
        except StorageError as e:
            log.error("order.journal_failed", client_order_id=cid, error=str(e))
            self._storage_failure(JOURNAL_FAILED)

    def _intent(self, request: OrderRequest) -> JournalEntry:
        return self.store.journal_intent(
            self.plan_id,
            self.run_id,
            request.client_id,
            request.symbol,
            request.side,
            request.amount,
            self.clock(),
            mode=self.mode,
        )

    async def _place(self, request: OrderRequest) -> None:
        cid = request.client_id
        try:
            result = await self.exchange.place_order(request)
        except OrderOutcomeUnknown as e:
            log.warning("order.answer_lost", client_order_id=cid, error=str(e))
            await self._record(cid, OrderStatus.UNKNOWN, error=str(e))
        except ExchangeError as e:
            log.warning("order.rejected", client_order_id=cid, reason=e.reason)
            await self._record(cid, OrderStatus.REJECTED, error=e.reason)
            if isinstance(e, AuthenticationError):
                self.halt(f"not sent: {e}")
        else:
            await self._answered(cid, result)

    async def _answered(self, cid: str, result: OrderResult) -> None:
        """Record the exchange's answer; if the database fails, keep it in memory, send no
        more (the journal cannot follow), and leave the entry for reconciliation."""
        self.known[cid] = _from_result(self.known[cid], result)
        try:
            await local_write(
                lambda: apply_result(self.store, cid, result, self.clock()), self.sleep
            )
        except StorageError as e:
            log.error("order.journal_failed_after_answer", client_order_id=cid, error=str(e))
            self._storage_failure("not sent: the database failed after an earlier order was placed")

    async def _record(self, cid: str, status: OrderStatus, error: str | None = None) -> None:
        """A status change of `cid`, retried as a local write; remembered even if it fails."""
        self.known[cid] = _with_status(self.known[cid], status, error)
        if self.storage_failed:
            return

        def write() -> JournalEntry:
            return self.store.journal_update(cid, status=status, error=error, now=self.clock())

        try:
            await local_write(write, self.sleep)
        except StorageError as e:
            log.error("order.journal_failed", client_order_id=cid, error=str(e))
            self._storage_failure("not sent: the database failed during this rebalance")

    def _storage_failure(self, reason: str) -> None:
        self.storage_failed = True
        self.halt(reason)


def _planned(
    request: OrderRequest, status: OrderStatus = OrderStatus.INTENT, reason: str = ""
) -> OrderOutcome:
    return OrderOutcome(
        client_order_id=request.client_id,
        asset=request.symbol.partition("/")[0],
        symbol=request.symbol,
        side=request.side,
        requested=request.amount,
        filled=ZERO,
        average_price=None,
        cost=ZERO,
        fee=ZERO,
        status=status,
        reason=reason,
    )


def _with_status(known: OrderOutcome, status: OrderStatus, error: str | None) -> OrderOutcome:
    return replace(known, status=status, reason=error if error is not None else known.reason)


def _from_result(known: OrderOutcome, result: OrderResult) -> OrderOutcome:
    return replace(
        known,
        status=result.state,
        filled=result.filled,
        average_price=result.average_price,
        cost=result.cost,
        fee=result.fee,
        reason=result.reason,
    )
