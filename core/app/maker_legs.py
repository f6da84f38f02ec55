"""Journaled legs of maker-first orders: every place, amend and cancel is written (with a
fresh lease) BEFORE it is sent, and its answer after. A lost answer is never resolved by
sending again: a lost placement is looked up by its client order id, a lost amend or cancel
by reading the order. What the exchange says of a leg is recorded with its fill, as for any
order (`journal.apply_result`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import structlog

from core.app.journal import apply_result
from core.app.lease import Lease
from core.app.maker_ports import ChangeKind, ChangeStatus, LegIntent, MakerJournal
from core.app.order_desk import local_write, new_client_order_id
from core.app.ports import MakerExchange
from core.domain.models import ZERO
from core.domain.orders import OrderAmend, OrderRequest, OrderResult
from core.domain.statuses import OrderStatus
from core.errors import (
    AmendOutcomeUnknown,
    CancelOutcomeUnknown,
    ExchangeError,
    OrderOutcomeUnknown,
    PostOnlyRejected,
    StorageError,
    UnknownOrder,
)

log = structlog.get_logger(__name__)
T = TypeVar("T")
POST_ONLY = "post only"  # Kraken's reason for a post-only order it refused or cancelled


@dataclass
class LegState:
    """What is known of one exchange order working a planned order."""

    client_id: str
    symbol: str
    post_only: bool
    amount: Decimal
    limit: Decimal | None
    moved_at: datetime  # placed or last amended
    exchange_id: str | None = None
    status: OrderStatus = OrderStatus.INTENT
    filled: Decimal = ZERO
    cost: Decimal = ZERO
    fee: Decimal = ZERO
    reason: str = ""
    note: str = ""  # e.g. paper on the snapshot: "maker fill assumed at the limit"

    @property
    def live(self) -> bool:
        """It may still be (or become) open at the exchange."""
        return self.status.unresolved

    @property
    def refused_post_only(self) -> bool:
        """Refused or cancelled because it would have taken liquidity: re-place it."""
        return self.status.done and POST_ONLY in self.reason.lower()


class LegDesk:
    """Places, amends, cancels and reads the legs of one run's maker-first orders."""

    def __init__(  # noqa: PLR0917
        self,
        exchange: MakerExchange,
        store: MakerJournal,
        clock: Callable[[], datetime],
        plan_id: str,
        mode: str,
        lease: Lease | None = None,
    ) -> None:
        self.exchange, self.store, self.clock = exchange, store, clock
        self.plan_id, self.mode, self.lease = plan_id, mode, lease
        self.run_id: int | None = None
        self.storage_failed = False

    async def place(
        self, maker_order_id: str, request: OrderRequest, client_id: str | None = None
    ) -> LegState | None:
        """Journal, then send one leg; None when it could not be journaled (not sent)."""
        cid = client_id or new_client_order_id()
        request = OrderRequest(
            cid,
            request.symbol,
            request.side,
            request.amount,
            request.order_type,
            request.limit_price,
            request.post_only,
            request.time_in_force,
        )
        intent = self.intent(maker_order_id, request)
        if await self._journaled(lambda: self.store.journal_leg(intent, self.clock())) is None:
            return None
        leg = LegState(
            cid,
            request.symbol,
            request.post_only,
            request.amount,
            request.limit_price,
            self.clock(),
        )
        await self._status(leg, OrderStatus.SENT)
        try:
            result = await self.exchange.place_order(request)
        except OrderOutcomeUnknown as e:
            log.warning("maker.answer_lost", client_order_id=cid, error=str(e))
            await self._status(leg, OrderStatus.UNKNOWN, str(e))
        except ExchangeError as e:  # PostOnlyRejected among them: re-placed at the next touch
            log.info("maker.rejected", client_order_id=cid, reason=e.reason)
            await self._status(leg, OrderStatus.REJECTED, e.reason)
        else:
            await self.apply(leg, result)
        return leg

    async def amend(self, leg: LegState, amend: OrderAmend) -> None:
        """Move a resting leg to a new limit (one AmendOrder), journaled first. A refusal
        changes nothing; a lost answer is settled by the next read of the order."""
        change = await self._journaled(
            lambda: self.store.journal_change(
                leg.client_id, ChangeKind.AMEND, self.clock(), limit_price=amend.limit_price
            )
        )
        if change is None:
            return
        try:
            result = await self.exchange.amend_order(amend)
        except AmendOutcomeUnknown as e:
            await self._change(change, ChangeStatus.UNKNOWN, str(e))
        except (PostOnlyRejected, UnknownOrder) as e:  # unchanged, or no longer open
            await self._change(change, ChangeStatus.REJECTED, e.reason)
        except ExchangeError as e:
            await self._change(change, ChangeStatus.REJECTED, e.reason)
        else:
            await self._change(change, ChangeStatus.DONE)
            leg.limit = result.limit_price or leg.limit
        leg.moved_at = self.clock()  # amended or not, not again for AMEND_INTERVAL_S

    async def cancel(self, leg: LegState) -> bool:
        """Cancel a leg (journaled first) and record its confirmed state; True when the
        exchange has confirmed it is no longer open."""
        change = await self._journaled(
            lambda: self.store.journal_change(leg.client_id, ChangeKind.CANCEL, self.clock())
        )
        if change is None:
            return False
        which = (
            {"exchange_id": leg.exchange_id} if leg.exchange_id else {"client_id": leg.client_id}
        )
        try:
            result = await self.exchange.cancel_order(**which)
        except CancelOutcomeUnknown as e:
            await self._change(change, ChangeStatus.UNKNOWN, str(e))
            return False
        except ExchangeError as e:  # UnknownOrder: never placed, or already gone: read it
            await self._change(change, ChangeStatus.REJECTED, e.reason)
            return False
        await self._change(change, ChangeStatus.DONE)
        await self.apply(leg, result)
        return not leg.live

    async def read(self, legs: Sequence[LegState]) -> None:
        """The state of these legs now: one query by exchange id, one by client id for those
        whose placement answer was lost. A failed read leaves them as they were."""
        known = {leg.exchange_id: leg for leg in legs if leg.exchange_id and leg.live}
        lost = {leg.client_id: leg for leg in legs if not leg.exchange_id and leg.live}
        try:
            if known:
                for xid, result in (await self.exchange.fetch_orders(list(known))).items():
                    await self.apply(known[xid], result)
            if lost:
                for cid, result in (await self.exchange.find_orders(list(lost))).items():
                    await self.apply(lost[cid], result)
        except ExchangeError as e:
            log.warning("maker.read_failed", error=str(e))

    async def apply(self, leg: LegState, result: OrderResult) -> None:
        leg.exchange_id, leg.status = result.exchange_id, result.state
        leg.filled, leg.cost, leg.fee = result.filled, result.cost, result.fee
        leg.reason = result.reason or leg.reason
        leg.limit = result.limit_price or leg.limit
        leg.note = result.note or leg.note
        await self._write(lambda: apply_result(self.store, leg.client_id, result, self.clock()))

    def intent(self, maker_order_id: str, request: OrderRequest) -> LegIntent:
        return LegIntent(
            plan_id=self.plan_id,
            run_id=self.run_id,
            maker_order_id=maker_order_id,
            client_order_id=request.client_id,
            symbol=request.symbol,
            side=request.side,
            amount=request.amount,
            order_type=request.order_type,
            limit_price=request.limit_price,
            post_only=request.post_only,
            mode=self.mode,
        )

    async def _journaled(self, write: Callable[[], T]) -> T | None:
        """Write the intent and refresh the lease as one; None (nothing to send) if either
        fails: nothing goes out that the journal does not already hold."""
        if self.storage_failed:
            return None

        def unit() -> T | None:
            with self.store.unit_of_work() as uow:
                if self.lease is not None and not self.lease.refresh():
                    return None
                written = write()
                uow.commit()
                return written

        try:
            return await local_write(unit)
        except StorageError as e:
            log.error("maker.intent_failed", error=str(e))
            self.storage_failed = True
            return None

    async def _status(self, leg: LegState, status: OrderStatus, error: str | None = None) -> None:
        leg.status, leg.reason = status, error or leg.reason
        await self._write(
            lambda: self.store.journal_update(
                leg.client_id, status=status, error=error, now=self.clock()
            )
        )

    async def _change(self, change: int, status: ChangeStatus, error: str | None = None) -> None:
        await self._write(lambda: self.store.change_outcome(change, status, self.clock(), error))

    async def _write(self, write: Callable[[], object]) -> None:
        """A write after an answer: retried as a local write; if it still fails, nothing more
        is sent and reconciliation finds the order by its client id later."""
        try:
            await local_write(write)
        except StorageError as e:
            log.error("maker.journal_failed", error=str(e))
            self.storage_failed = True
