"""In-memory fakes of maker-first execution's ports: a `MakerExchange` with a touch, resting
orders, post-only refusals and lost answers, and a `MakerJournal`. Both write to one shared
`events` list, so a test can read the order of things (journaled before sent)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from core.app.maker_ports import (
    ChangeKind,
    ChangeStatus,
    Leg,
    LegIntent,
    MakerOrderRecord,
    MakerTotals,
)
from core.app.records import FillRecord, JournalEntry, RunRecord
from core.domain.models import ZERO, Quote, Side
from core.domain.orders import AmendResult, OrderAmend, OrderRequest, OrderResult, TimeInForce
from core.domain.statuses import OrderStatus
from core.errors import (
    AmendOutcomeUnknown,
    CancelOutcomeUnknown,
    OrderOutcomeUnknown,
    PostOnlyRejected,
    UnknownOrder,
)

MAKER_FEE, TAKER_FEE = Decimal("0.0025"), Decimal("0.004")
POST_ONLY = "EOrder:Post only order"


@dataclass
class FakeMakerExchange:
    """One account's orders against a touch the test moves."""

    events: list[str]
    quotes: dict[str, Quote] = field(default_factory=dict)
    orders: dict[str, OrderResult] = field(default_factory=dict)  # by exchange id
    lose_next: set[str] = field(default_factory=set)  # "place", "amend", "cancel"
    refuse_next_post_only: int = 0
    ioc_fills: Decimal | None = None  # None: an IOC takes everything its limit reaches
    calls: dict[str, int] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    name: str = "fake"

    def _count(self, what: str) -> None:
        self.calls[what] = self.calls.get(what, 0) + 1
        self.events.append(f"send {what}")

    async def touch(self, symbols: Sequence[str]) -> dict[str, Quote]:
        self._count("touch")
        return {s: self.quotes[s] for s in symbols if s in self.quotes}

    async def place_order(self, request: OrderRequest) -> OrderResult:
        self._count("place")
        quote, price = self.quotes[request.symbol], request.limit_price
        assert price is not None
        crosses = price >= quote.ask if request.side is Side.BUY else price <= quote.bid
        if request.post_only and (crosses or self.refuse_next_post_only):
            self.refuse_next_post_only = max(self.refuse_next_post_only - 1, 0)
            raise PostOnlyRejected("would take", reason=POST_ONLY)
        order = OrderResult(
            request.client_id, f"O{next(self.ids)}", request.symbol, request.side,
            OrderStatus.OPEN, request.amount, limit_price=price, post_only=request.post_only,
        )  # fmt: skip
        if request.time_in_force is TimeInForce.IOC:
            order = self._ioc(order, quote, crosses)
        self.orders[order.exchange_id] = order
        if "place" in self.lose_next:
            self.lose_next.discard("place")
            raise OrderOutcomeUnknown("lost", reason="timeout")
        return order

    def _ioc(self, order: OrderResult, quote: Quote, crosses: bool) -> OrderResult:
        if not crosses:
            return replace(order, state=OrderStatus.CANCELED, reason="Immediate or cancel")
        at = quote.ask if order.side is Side.BUY else quote.bid
        volume = order.amount if self.ioc_fills is None else min(self.ioc_fills, order.amount)
        filled = _with_fill(order, volume, at, TAKER_FEE)
        state = OrderStatus.FILLED if volume == order.amount else OrderStatus.PARTIAL
        return replace(filled, state=state, reason="" if volume == order.amount else "IOC")

    def fill(self, exchange_id: str, volume: Decimal | None = None) -> None:
        """Another trader takes a resting order (all of it, or `volume`) at its limit."""
        order = self.orders[exchange_id]
        assert order.limit_price is not None and order.state is OrderStatus.OPEN
        volume = order.amount - order.filled if volume is None else volume
        filled = _with_fill(order, volume, order.limit_price, MAKER_FEE)
        done = filled.filled >= filled.amount
        self.orders[exchange_id] = replace(filled, state=OrderStatus.FILLED) if done else filled

    def cancel_as_post_only(self, exchange_id: str) -> None:
        """Kraken booked a post-only order, then cancelled it: it would have taken."""
        order = self.orders[exchange_id]
        self.orders[exchange_id] = replace(
            order, state=OrderStatus.CANCELED, reason="Post only order"
        )

    def resting(self) -> list[OrderResult]:
        return [o for o in self.orders.values() if o.state is OrderStatus.OPEN]

    async def amend_order(self, amend: OrderAmend) -> AmendResult:
        self._count("amend")
        order = self.orders.get(amend.exchange_id or "")
        if order is None or order.state is not OrderStatus.OPEN:
            raise UnknownOrder("not open", reason="EOrder:Unknown order")
        self.orders[order.exchange_id] = replace(order, limit_price=amend.limit_price)
        if "amend" in self.lose_next:
            self.lose_next.discard("amend")
            raise AmendOutcomeUnknown("lost", reason="timeout")
        return AmendResult("A1", order.exchange_id, None, amend.limit_price, None)

    async def cancel_order(
        self, *, exchange_id: str | None = None, client_id: str | None = None
    ) -> OrderResult:
        self._count("cancel")
        order = self._find(exchange_id, client_id)
        if order is None:
            raise UnknownOrder("no such order", reason="EOrder:Unknown order")
        if order.state is OrderStatus.OPEN:
            state = OrderStatus.PARTIAL if order.filled > 0 else OrderStatus.CANCELED
            order = replace(order, state=state, reason="User requested")
            self.orders[order.exchange_id] = order
        if "cancel" in self.lose_next:
            self.lose_next.discard("cancel")
            raise CancelOutcomeUnknown("lost", reason="timeout")
        return order

    def _find(self, exchange_id: str | None, client_id: str | None) -> OrderResult | None:
        if exchange_id is not None:
            return self.orders.get(exchange_id)
        return next((o for o in self.orders.values() if o.client_id == client_id), None)

    async def find_orders(self, client_ids: Sequence[str]) -> dict[str, OrderResult]:
        self._count("find")
        return {o.client_id: o for o in self.orders.values() if o.client_id in client_ids}

    async def fetch_orders(self, exchange_ids: Sequence[str]) -> dict[str, OrderResult]:
        self._count("fetch")
        return {x: self.orders[x] for x in exchange_ids if x in self.orders}


def _with_fill(order: OrderResult, volume: Decimal, price: Decimal, fee: Decimal) -> OrderResult:
    filled, cost = order.filled + volume, order.cost + volume * price
    return replace(
        order, filled=filled, cost=cost, fee=order.fee + volume * price * fee,
        average_price=cost / filled,
    )  # fmt: skip


class _Unit:
    def commit(self) -> None:
        pass


@dataclass
class FakeMakerJournal:
    """The journal, maker orders and order changes, in memory."""

    events: list[str]
    entries: dict[str, JournalEntry] = field(default_factory=dict)
    legs_of: dict[str, Leg] = field(default_factory=dict)
    makers: dict[str, MakerOrderRecord] = field(default_factory=dict)
    changes: list[tuple[str, ChangeKind, ChangeStatus, str | None]] = field(default_factory=list)
    fills: list[FillRecord] = field(default_factory=list)

    @contextmanager
    def unit_of_work(self) -> Iterator[_Unit]:
        yield _Unit()

    def start_maker_order(self, record: MakerOrderRecord) -> None:
        self.makers[record.id] = record

    def finish_maker_order(self, maker_order_id: str, *, note: str, now: datetime) -> None:
        self.makers[maker_order_id] = replace(
            self.makers[maker_order_id], finished_at=now, note=note
        )

    def unfinished_maker_orders(self, mode: str) -> list[MakerOrderRecord]:
        return [m for m in self.makers.values() if m.finished_at is None and m.mode == mode]

    def journal_leg(self, leg: LegIntent, now: datetime) -> JournalEntry:
        self.events.append(f"journal {'ioc' if not leg.post_only else 'post-only'}")
        entry = JournalEntry(
            len(self.entries) + 1, leg.plan_id, leg.run_id, leg.client_order_id, leg.symbol,
            leg.side, leg.amount, OrderStatus.INTENT, None, ZERO, None, ZERO, ZERO, None, now,
            now, leg.mode,
        )  # fmt: skip
        self.entries[leg.client_order_id] = entry
        self.legs_of[leg.client_order_id] = Leg(
            entry, leg.post_only, leg.limit_price, leg.maker_order_id
        )
        return entry

    def legs(self, maker_order_ids: Sequence[str]) -> list[Leg]:
        return [
            replace(leg, entry=self.entries[cid])
            for cid, leg in self.legs_of.items()
            if leg.maker_order_id in maker_order_ids
        ]

    def journal_change(
        self,
        client_order_id: str,
        kind: ChangeKind,
        now: datetime,
        *,
        limit_price: Decimal | None = None,
        amount: Decimal | None = None,
    ) -> int:
        self.events.append(f"journal {kind.value}")
        self.changes.append((client_order_id, kind, ChangeStatus.INTENT, None))
        return len(self.changes) - 1

    def change_outcome(
        self, change_id: int, status: ChangeStatus, now: datetime, error: str | None = None
    ) -> None:
        cid, kind, _, _ = self.changes[change_id]
        self.changes[change_id] = (cid, kind, status, error)

    def journal_update(
        self,
        client_order_id: str,
        *,
        status: OrderStatus,
        exchange_order_id: str | None = None,
        filled_amount: Decimal | None = None,
        average_price: Decimal | None = None,
        cost: Decimal | None = None,
        fee: Decimal | None = None,
        error: str | None = None,
        now: datetime,
    ) -> JournalEntry:
        old = self.entries[client_order_id]
        new = replace(
            old,
            status=status,
            exchange_order_id=exchange_order_id or old.exchange_order_id,
            filled_amount=old.filled_amount if filled_amount is None else filled_amount,
            average_price=average_price or old.average_price,
            cost=old.cost if cost is None else cost,
            fee=old.fee if fee is None else fee,
            error=error if error is not None else old.error,
            updated_at=now,
        )
        self.entries[client_order_id] = new
        return new

    def journal_for_ids(self, client_order_ids: Sequence[str]) -> list[JournalEntry]:
        return [e for cid, e in self.entries.items() if cid in client_order_ids]

    def record_fill(self, fill: FillRecord) -> bool:
        self.fills = [f for f in self.fills if f.exchange_order_id != fill.exchange_order_id]
        self.fills.append(fill)
        return True

    def maker_totals(self, mode: str) -> MakerTotals:
        return MakerTotals()

    def runs_by_id(self, run_ids: Iterable[int]) -> list[RunRecord]:
        return []  # no runs here: legs record their fills with no trigger
