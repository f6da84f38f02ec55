"""The lot ledger's own rows: adjustments (openings, deposits, withdrawals) and value samples.

Implements `core.app.repositories.PositionBook`. The fills themselves are `repo_journal`'s.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlmodel import col, select

from core.app.records import PlanRecord
from core.domain.lots import Adjustment, AdjustmentKind
from core.domain.series import ValueSample
from core.store.modes import checked_mode
from core.store.repo_base import StoreBase
from core.store.repo_plans import _plan_record
from core.store.tables import LotAdjustmentRow, PlanRow, ValueSampleRow


class PositionStore(StoreBase):
    # --- Lot adjustments -----------------------------------------------------------------
    def lot_adjustments(self, mode: str) -> list[Adjustment]:
        """This mode's adjustments, in the order they were recorded."""
        statement = (
            select(LotAdjustmentRow)
            .where(col(LotAdjustmentRow.mode) == mode)
            .order_by(col(LotAdjustmentRow.id))
        )
        with self._unit() as session:
            return [_adjustment(row) for row in session.exec(statement)]

    def add_lot_adjustments(self, adjustments: Sequence[Adjustment], now: datetime) -> None:
        """Keep these adjustments (all or none)."""
        with self._unit() as session:
            session.add_all(_adjustment_row(a, now) for a in adjustments)

    def state_opening_price(self, mode: str, asset: str, price: Decimal) -> int:
        """`asset`'s opening lots in `mode` at the owner's `price`, no longer estimated."""
        statement = select(LotAdjustmentRow).where(
            col(LotAdjustmentRow.mode) == mode,
            col(LotAdjustmentRow.asset) == asset,
            col(LotAdjustmentRow.kind) == AdjustmentKind.OPENING.value,
        )
        with self._unit() as session:
            rows = list(session.exec(statement))
            for row in rows:
                row.price, row.estimated = price, False
                session.add(row)
            return len(rows)

    # --- Value samples -------------------------------------------------------------------
    def value_samples(self, mode: str, quote: str) -> list[ValueSample]:
        """This mode's samples in `quote`, oldest first."""
        statement = (
            select(ValueSampleRow)
            .where(col(ValueSampleRow.mode) == mode, col(ValueSampleRow.quote) == quote)
            .order_by(col(ValueSampleRow.taken_at), col(ValueSampleRow.id))
        )
        with self._unit() as session:
            return [_sample(row) for row in session.exec(statement)]

    def last_value_sample_at(self, mode: str) -> datetime | None:
        statement = (
            select(ValueSampleRow)
            .where(col(ValueSampleRow.mode) == mode)
            .order_by(col(ValueSampleRow.taken_at).desc())
            .limit(1)
        )
        with self._unit() as session:
            newest = session.exec(statement).first()
        return None if newest is None else newest.taken_at

    def add_value_sample(self, mode: str, quote: str, sample: ValueSample) -> None:
        values = {asset: str(value) for asset, value in sorted(sample.values.items())}
        row = ValueSampleRow(
            mode=checked_mode(mode),
            quote=quote,
            taken_at=sample.time,
            total=sample.total,
            values_json=json.dumps(values),
        )
        with self._unit() as session:
            session.add(row)

    # --- The first valuation seen ------------------------------------------------------------
    def earliest_plan(self, mode: str) -> PlanRecord | None:
        """The first plan made in `mode` (its lines hold the prices the bot saw then)."""
        statement = (
            select(PlanRow)
            .where(col(PlanRow.mode) == mode)
            .order_by(col(PlanRow.created_at), col(PlanRow.id))
            .limit(1)
        )
        with self._unit() as session:
            row = session.exec(statement).first()
            return None if row is None else _plan_record(row)


def _adjustment_row(a: Adjustment, now: datetime) -> LotAdjustmentRow:
    return LotAdjustmentRow(
        mode=checked_mode(a.mode),
        asset=a.asset,
        kind=a.kind.value,
        amount=a.amount,
        price=a.price,
        happened_at=a.time,
        estimated=a.estimated,
        recorded_at=now,
    )


def _adjustment(row: LotAdjustmentRow) -> Adjustment:
    return Adjustment(
        mode=row.mode,
        asset=row.asset,
        kind=AdjustmentKind(row.kind),
        amount=row.amount,
        time=row.happened_at,
        price=row.price,
        estimated=row.estimated,
    )


def _sample(row: ValueSampleRow) -> ValueSample:
    values = {asset: Decimal(text) for asset, text in json.loads(row.values_json).items()}
    return ValueSample(time=row.taken_at, values=values, total=row.total)
