"""Maker-first execution of one wave (ORDER_TYPE=maker-first): the same contract as the
order desk (`send_and_confirm`, `outcomes`, `halt`), with orders that rest before they take.

For each planned order: a post-only limit at the touch (one Ticker for the whole wave);
then, every poll (one Ticker and one order query for the whole wave), fills are recorded,
an order the touch moved away from is amended to the new touch (at most every 15 s, never
beyond the plan's price ± MAX_SLIPPAGE_PCT), one
refused as post-only is re-placed at the new touch. At MAKER_TIMEOUT_SECONDS the resting
remainder is cancelled and the cancel confirmed, and only then does what is left go as an
immediate-or-cancel limit at the touch ± MAX_SLIPPAGE_PCT: there are never two live orders
for one planned order. What the fallback does not fill is reported, not chased. Every
placement, amend and cancel goes through `LegDesk`, journaled before it is sent.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import structlog

from core.app.api import OrderOutcome
from core.app.journal import CONFIRM_DELAYS
from core.app.lease import Lease
from core.app.maker_legs import LegDesk, LegState
from core.app.maker_ports import MakerJournal, MakerOrderRecord
from core.app.maker_work import Work, outcome_of, refused_outcome
from core.app.order_desk import local_write
from core.app.ports import MakerExchange
from core.app.settings import AppSettings
from core.domain import maker_rules as rules
from core.domain.models import MarketData, Plan, PlannedOrder, Quote
from core.domain.orders import OrderAmend, OrderRequest, OrderType, TimeInForce
from core.domain.statuses import OrderStatus
from core.errors import ExchangeError, StorageError

log = structlog.get_logger(__name__)
POLL_S = 3.0  # one Ticker and one order query per poll: within Kraken's REST decay
CANCEL_TRIES = 3
Sleep = Callable[[float], Awaitable[None]]


class MakerDesk:
    """Works the waves of one plan maker-first."""

    def __init__(  # noqa: PLR0917
        self,
        exchange: MakerExchange,
        store: MakerJournal,
        clock: Callable[[], datetime],
        plan: Plan,
        plan_id: str,
        market: MarketData,
        settings: AppSettings,
        lease: Lease | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.exchange, self.store, self.clock, self.sleep = exchange, store, clock, sleep
        self.plan, self.plan_id, self.market, self.settings = plan, plan_id, market, settings
        self.legs = LegDesk(exchange, store, clock, plan_id, settings.mode, lease)
        self.known: list[OrderOutcome] = []
        self.sent_any = False
        self._halt_reason = ""

    @property
    def run_id(self) -> int | None:
        return self.legs.run_id

    @run_id.setter
    def run_id(self, value: int | None) -> None:
        self.legs.run_id = value

    @property
    def storage_failed(self) -> bool:
        return self.legs.storage_failed

    def halt(self, reason: str) -> None:
        self._halt_reason = self._halt_reason or reason

    def outcomes(self) -> list[OrderOutcome]:
        return list(self.known)

    async def send_and_confirm(self, orders: Sequence[PlannedOrder]) -> list[OrderOutcome]:
        if self._halt_reason or self.storage_failed:
            reason = self._halt_reason or "not sent: the database failed during this rebalance"
            done = [await self._refuse(o, reason) for o in orders]
        else:
            started = [await self._start(o) for o in orders]
            works = [w for w in started if isinstance(w, Work)]
            await self._rest(works)
            await self._follow(works)
            await self._fall_back(works)
            finished = {w.id: await self._finish(w) for w in works}
            done = [finished[w.id] if isinstance(w, Work) else w for w in started]
        self.known.extend(done)
        return done

    async def _start(self, order: PlannedOrder) -> Work | OrderOutcome:
        """The planned order, recorded as worked maker-first; or why it will not be sent."""
        market = self.market.markets.get(order.asset)
        line = self.plan.line(order.asset)
        mid = line.price if line is not None and line.price else order.price
        if market is None:
            return refused_outcome(order, "not sent: its market is not known")
        work = Work(order, market, mid, str(uuid.uuid4()), self.clock())
        record = MakerOrderRecord(
            work.id, self.plan_id, self.run_id, order.symbol, order.side, order.amount, mid,
            market.taker_fee, work.started, self.settings.mode,
        )  # fmt: skip
        try:
            await local_write(lambda: self.store.start_maker_order(record))
        except StorageError as e:
            log.error("maker.start_failed", error=str(e))
            self.legs.storage_failed = True
            return refused_outcome(order, "not sent: the database failed")
        return work

    async def _refuse(self, order: PlannedOrder, reason: str) -> OrderOutcome:
        """A planned order the desk will not send, journaled as rejected with the reason
        (unless the database is what failed: then it is only reported)."""
        outcome = refused_outcome(order, reason)
        if self.storage_failed:
            return outcome
        work = await self._start(order)
        if not isinstance(work, Work):
            return outcome
        request = OrderRequest(work.id, order.symbol, order.side, order.amount)
        intent = self.legs.intent(work.id, request)

        def write() -> None:
            with self.store.unit_of_work() as uow:
                self.store.journal_leg(intent, self.clock())
                self.store.journal_update(
                    work.id, status=OrderStatus.REJECTED, error=reason, now=self.clock()
                )
                self.store.finish_maker_order(work.id, note=reason, now=self.clock())
                uow.commit()

        try:
            await local_write(write)
        except StorageError as e:
            log.error("maker.journal_failed", error=str(e))
        return replace(outcome, client_order_id=work.id)

    async def _touch(self, works: Sequence[Work]) -> dict[str, Quote]:
        """The touch of every symbol of `works`, in one request ({} if it failed)."""
        symbols = sorted({w.order.symbol for w in works})
        if not symbols:
            return {}
        try:
            return await self.exchange.touch(symbols)
        except ExchangeError as e:
            log.warning("maker.touch_failed", error=str(e))
            return {}

    async def _rest(self, works: Sequence[Work]) -> None:
        touch = await self._touch(works)
        for work in works:
            await self._place_maker(work, touch)

    async def _place_maker(self, work: Work, touch: dict[str, Quote]) -> None:
        quote = touch.get(work.order.symbol)
        left = work.left()
        if quote is None or left.kind is not rules.Remainder.TRADABLE:
            return
        price = self._resting_price(work, quote)
        request = OrderRequest(
            "pending", work.order.symbol, work.order.side, left.amount, OrderType.LIMIT, price,
            post_only=True,
        )  # fmt: skip
        await self._send(work, request)

    async def _send(self, work: Work, request: OrderRequest) -> None:
        self.sent_any = True
        leg = await self.legs.place(work.id, request)
        if leg is None:
            work.end("not sent: the order could not be journaled first", self.clock())
        else:
            work.legs.append(leg)

    async def _follow(self, works: Sequence[Work]) -> None:
        timeout = self.settings.maker_timeout_seconds
        while True:
            now = self.clock()
            waiting = [
                w for w in works if not w.settle_if_done(now) and not w.expired(now, timeout)
            ]
            if not waiting or self.storage_failed:
                return
            await self.sleep(POLL_S)
            live = [w for w in works if not w.ended]
            await self.legs.read([leg for w in live if (leg := w.live_leg) is not None])
            touch = await self._touch(live)
            for work in live:
                await self._step(work, touch)

    async def _step(self, work: Work, touch: dict[str, Quote]) -> None:
        now, leg = self.clock(), work.live_leg
        expired = rules.timed_out(work.started, now, self.settings.maker_timeout_seconds)
        if leg is None:
            if work.settle_if_done(now) or expired:
                return
            await self._place_maker(work, touch)
            return
        quote = touch.get(work.order.symbol)
        if expired or quote is None or leg.status is not OrderStatus.OPEN or leg.limit is None:
            return
        side, target = work.order.side, self._resting_price(work, quote)
        if rules.improves(side, target, leg.limit) and rules.may_amend(leg.moved_at, now):
            amend = OrderAmend(
                work.order.symbol, side, exchange_id=leg.exchange_id, limit_price=target
            )
            await self.legs.amend(leg, amend)

    def _resting_price(self, work: Work, quote: Quote) -> Decimal:
        order, slip = work.order, self.settings.max_slippage_pct
        return rules.resting_price(work.market, order.side, quote, order.price, slip)

    async def _fall_back(self, works: Sequence[Work]) -> None:
        """Cancel what rests (confirmed), then send each remainder once as IOC."""
        for work in [w for w in works if not w.ended]:
            leg = work.live_leg
            if leg is not None and not await self._cancelled(leg):
                work.end(
                    "its cancel could not be confirmed: no fallback was sent; it is "
                    "checked again automatically",
                    self.clock(),
                )
        due = [w for w in works if not w.ended and not w.settle_if_done(self.clock())]
        touch = await self._touch(due)
        for work in due:
            await self._send_fallback(work, touch.get(work.order.symbol))
        await self._confirm([leg for w in due if (leg := w.live_leg) is not None])

    async def _cancelled(self, leg: LegState) -> bool:
        """Cancel a resting leg and confirm it is closed; a lost answer is read, not resent."""
        for delay in (0.0, *CONFIRM_DELAYS[: CANCEL_TRIES - 1]):
            if delay:
                await self.sleep(delay)
            if not leg.live or await self.legs.cancel(leg):
                return True
            await self.legs.read([leg])
            if not leg.live:
                return True
        return False

    async def _send_fallback(self, work: Work, quote: Quote | None) -> None:
        order, slip = work.order, self.settings.max_slippage_pct
        if quote is None:
            work.end("the touch could not be read for the fallback: not sent", self.clock())
            return
        price = rules.fallback_price(work.market, order.side, quote, order.price, slip)
        amount = work.fallback_amount(price)
        if amount <= 0 or amount < work.market.order_min:
            work.end(f"{work.left().amount} left: not enough budget for the fallback", self.clock())
            return
        work.fallback_limit = price
        request = OrderRequest(
            "pending", order.symbol, order.side, amount, OrderType.LIMIT, price,
            time_in_force=TimeInForce.IOC,
        )  # fmt: skip
        await self._send(work, request)

    async def _confirm(self, legs: Sequence[LegState]) -> None:
        for delay in (0.0, *CONFIRM_DELAYS):
            pending = [leg for leg in legs if leg.live]
            if not pending:
                return
            if delay:
                await self.sleep(delay)
            await self.legs.read(pending)

    async def _finish(self, work: Work) -> OrderOutcome:
        now = self.clock()
        work.settle_if_done(now)
        if not work.ended and work.live_leg is None:
            work.end(work.unfilled_note(), now)
        if work.live_leg is None:  # nothing may still fill: the planned order is over
            try:
                await local_write(
                    lambda: self.store.finish_maker_order(work.id, note=work.note, now=now)
                )
            except StorageError as e:
                log.error("maker.finish_failed", maker_order_id=work.id, error=str(e))
        outcome = outcome_of(work, now)
        log.info(
            "maker.order",
            symbol=work.order.symbol,
            status=outcome.status.value,
            maker_share=str(outcome.maker_share),
            slippage_bps=str(outcome.slippage_bps),
            legs=len(work.legs),
        )
        return outcome
