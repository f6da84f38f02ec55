"""Positions from real fills: the lot ledger kept in sync with the balance, P&L at live prices.

A reading (one balance and one ticker request, as for a preview) is what every use case
here starts from. `sync` reconciles the ledger with that reading's tradable balances: at the
first sync, holdings that predate the bot become estimated opening lots, dated when the bot
first saw the account (its first plan in this mode, or now) at the valuation prices it saw
then; later, a difference becomes a flagged deposit or withdrawal. A sync
is skipped while an order's outcome is unknown or a run is (or was, during the reading)
in flight, so a fill never looks like a deposit; it runs in one unit of work with the read
of the fills it compares against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

import structlog

from core.app import admin
from core.app.ports import Exchange
from core.app.position_results import BasisResult, CsvRows, LedgerFigures, PositionsReport
from core.app.reading import Reading
from core.app.records import FillRecord
from core.app.repositories import Journal, PositionBook, Runs, UnitOfWork
from core.domain.codec import plan_from_dict
from core.domain.exports import fill_rows, fills_since, lot_rows
from core.domain.ledger import build_ledger, reconcile
from core.domain.lots import Adjustment, AdjustmentKind, Fill, Ledger
from core.domain.models import ZERO, LineStatus, Plan
from core.domain.pnl import fee_share, fees, monthly, positions, totals
from core.domain.series import average_value, sample_due, summarize, value_sample
from core.errors import ExchangeError, InputError

log = structlog.get_logger(__name__)
PRICE_TEXT = re.compile(r"\d+(\.\d+)?|\.\d+")  # digits and a point: no sign, exponent or _


class LedgerStore(PositionBook, Journal, Runs, Protocol):
    """The store ports the positions use cases need."""

    def unit_of_work(self) -> AbstractContextManager[UnitOfWork]: ...


class Readings(Protocol):
    """Where readings come from: `core.app.reading.PlanReader`."""

    async def read(self) -> Reading: ...


def to_fill(record: FillRecord) -> Fill:
    """A stored fill as the ledger's input."""
    asset, _, quote = record.symbol.partition("/")
    return Fill(
        mode=record.mode,
        asset=asset,
        quote=quote,
        side=record.side,
        amount=record.amount,
        price=record.price,
        cost=record.cost,
        fee=record.fee,
        fee_currency=record.fee_currency,
        time=record.filled_at,
        order_id=record.exchange_order_id,
        client_order_id=record.client_order_id,
        run_id=record.run_id,
        trigger=record.trigger,
    )


def parse_price(text: str) -> Decimal:
    """A positive price like `2000` or `0.45`; InputError (code bad_price) otherwise."""
    plain = text.strip()
    price = Decimal(plain) if PRICE_TEXT.fullmatch(plain) else Decimal("NaN")
    if not price.is_finite() or price <= 0:
        raise InputError(
            f"'{text.strip()}' is not a positive price (digits and a point only, e.g. 2000).",
            code="bad_price",
            data={"text": text},
        )
    return price


def _decoded(payload_json: str) -> Plan | None:
    """A stored plan's payload; None when it cannot be read (then today's prices serve)."""
    try:
        return plan_from_dict(json.loads(payload_json))
    except (ValueError, KeyError, TypeError, ArithmeticError) as e:
        log.warning("positions.first_plan_unreadable", error=str(e))
        return None


def tradable_amounts(plan: Plan) -> dict[str, Decimal]:
    return {x.asset: x.amount for x in plan.lines}


def valuation_prices(plan: Plan) -> dict[str, Decimal]:
    return {x.asset: x.price for x in plan.lines if x.price is not None and x.price > 0}


class PositionTracker:
    """The lot ledger of one mode and quote: synced, reported, exported."""

    def __init__(
        self,
        store: LedgerStore,
        readings: Readings,
        exchange: Exchange,
        *,
        mode: str,
        quote: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.store, self.readings, self.exchange = store, readings, exchange
        self.mode, self.quote, self.clock = mode, quote, clock

    def ledger(self) -> Ledger:
        """Replayed from the stored fills and adjustments of this mode alone."""
        fills = [to_fill(f) for f in self.store.fills(mode=self.mode)]
        return build_ledger(self.mode, self.quote, fills, self.store.lot_adjustments(self.mode))

    def sync(self, reading: Reading) -> bool:
        """Reconcile the lots with the reading's balances; False when it had to be skipped."""
        plan = reading.plan
        with self.store.unit_of_work() as uow:
            if not self._quiet(reading.basis.runs_seen):
                return False
            ledger = self.ledger()
            first_seen, prices = self._first_seen(ledger, plan)
            found = reconcile(
                ledger, tradable_amounts(plan), prices, plan.created_at, first_seen=first_seen
            )
            if found:
                self.store.add_lot_adjustments(found, self.clock())
                log.info("positions.adjusted", adjustments=len(found), mode=self.mode)
            uow.commit()
        return True

    def _first_seen(self, ledger: Ledger, plan: Plan) -> tuple[datetime, dict[str, Decimal]]:
        """When and at what prices the bot first saw this mode's account: its first plan
        (for assets it priced), else now. Only the first sync makes opening lots."""
        now = (plan.created_at, valuation_prices(plan))
        if ledger.adjustments:
            return now
        first = self.store.earliest_plan(self.mode)
        seen = None if first is None else _decoded(first.payload_json)
        if seen is None or seen.quote_currency != self.quote or seen.created_at > plan.created_at:
            return now
        return seen.created_at, valuation_prices(plan) | valuation_prices(seen)

    def _quiet(self, runs_seen: int) -> bool:
        """No order of unknown outcome, no run in flight now or since the reading began."""
        return not (
            self.store.journal_unresolved(self.mode)
            or self.store.unfinished_runs(self.mode)
            or self.store.superseding_run(runs_seen, self.mode)
        )

    def observe(self, reading: Reading) -> bool:
        """After a scheduled check: a value sample (at most hourly), then a sync."""
        plan = reading.plan
        if sample_due(self.store.last_value_sample_at(self.mode), plan.created_at):
            self.store.add_value_sample(self.mode, self.quote, value_sample(plan))
        return self.sync(reading)

    async def report(self) -> PositionsReport:
        """Every position, valued at the prices of one fresh reading."""
        reading = await self.readings.read()
        synced = self.observe(reading)
        return self._report(reading, self.ledger(), synced)

    def _report(self, reading: Reading, ledger: Ledger, synced: bool) -> PositionsReport:
        plan = reading.plan
        held = positions(ledger, valuation_prices(plan))
        samples = tuple(self.store.value_samples(self.mode, self.quote))
        cash = plan.line(self.quote)
        return PositionsReport(
            mode=self.mode,
            quote=self.quote,
            as_of=plan.created_at,
            source=plan.source,
            positions=held,
            locked=frozenset(lock.symbol for lock in reading.basis.locks)
            | {x.asset for x in plan.lines if x.status is LineStatus.LOCKED},
            totals=totals(held),
            cash=ZERO if cash is None else cash.amount,
            samples=samples,
            series=summarize(samples),
            synced=synced,
            adjustments=ledger.adjustments,
            shortfalls=ledger.shortfalls,
            uncounted_fees=len(ledger.uncounted_fees),
            other_quote=len(ledger.other_quote),
        )

    async def set_basis(self, symbol: str, price: str) -> BasisResult:
        """The owner's price for `symbol`'s opening lot (validated: a known symbol, a price)."""
        asset = admin.normalize_symbol(symbol)
        value = parse_price(price)
        await admin.check_tradable(self.exchange, asset, self.quote)
        if not self._openings(asset):
            self.sync(await self.readings.read())  # the first sync makes the openings
        openings = self._openings(asset)
        if not openings:
            raise self._no_opening(asset)
        changed = self.store.state_opening_price(self.mode, asset, value)
        amount = sum((a.amount for a in openings), ZERO)
        return BasisResult(self.mode, asset, value, amount, changed)

    def _no_opening(self, asset: str) -> InputError:
        held = self.ledger().open_amount(asset) > 0
        reason = (
            f"every {asset} held was bought by the bot, so its cost comes from real fills"
            if held
            else f"no {asset} is held, so there is no opening lot to price"
        )
        return InputError(
            f"{asset} has no opening lot in {self.mode} mode: {reason}.",
            code="no_opening_lot",
            data={"asset": asset, "mode": self.mode, "held": held},
        )

    def _openings(self, asset: str) -> Sequence[Adjustment]:
        return [
            a
            for a in self.store.lot_adjustments(self.mode)
            if a.asset == asset and a.kind is AdjustmentKind.OPENING
        ]

    def export_fills(self, since: date | None = None) -> CsvRows:
        """The header and one row per fill of this mode (from `since` 00:00 UTC on)."""
        fills = tuple(to_fill(f) for f in self.store.fills(mode=self.mode))
        return fill_rows(fills if since is None else fills_since(fills, since))

    async def export_lots(self) -> CsvRows:
        """Open lots, realized matches, withdrawals and shortfalls; synced first when the
        exchange answers (without it, from the stored fills and adjustments)."""
        try:
            self.sync(await self.readings.read())
        except ExchangeError as e:
            log.warning("positions.export_unsynced", error=str(e))
        return lot_rows(self.ledger())

    def figures(self) -> LedgerFigures:
        """Monthly realized P&L, fees and volume, and fees against the average value."""
        ledger = self.ledger()
        samples = self.store.value_samples(self.mode, self.quote)
        paid = fees(ledger)
        return LedgerFigures(
            months=monthly(ledger),
            fees=paid,
            average_value=average_value(samples),
            fee_share_pct=fee_share(paid, samples),
        )
