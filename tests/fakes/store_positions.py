"""The in-memory store's lot adjustments and value samples (as `core.store.repo_positions`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from core.app.records import PlanRecord
from core.domain.lots import Adjustment, AdjustmentKind
from core.domain.series import ValueSample
from tests.fakes.store_base import FakeStoreBase, checked_mode


class FakePositionBook(FakeStoreBase):
    def lot_adjustments(self, mode: str) -> list[Adjustment]:
        with self._tx("lot_adjustments") as s:
            return [a for a in s.adjustments if a.mode == mode]

    def add_lot_adjustments(self, adjustments: Sequence[Adjustment], now: datetime) -> None:
        with self._tx("add_lot_adjustments") as s:
            s.adjustments.extend(replace(a, mode=checked_mode(a.mode)) for a in adjustments)

    def state_opening_price(self, mode: str, asset: str, price: Decimal) -> int:
        def opening(a: Adjustment) -> bool:
            return (a.mode, a.asset, a.kind) == (mode, asset, AdjustmentKind.OPENING)

        with self._tx("state_opening_price") as s:
            hits = sum(opening(a) for a in s.adjustments)
            s.adjustments = [
                replace(a, price=price, estimated=False) if opening(a) else a for a in s.adjustments
            ]
            return hits

    def value_samples(self, mode: str, quote: str) -> list[ValueSample]:
        with self._tx("value_samples") as s:
            found = [x for m, q, x in s.samples if (m, q) == (mode, quote)]
        return sorted(found, key=lambda x: x.time)

    def last_value_sample_at(self, mode: str) -> datetime | None:
        with self._tx("last_value_sample_at") as s:
            return max((x.time for m, _, x in s.samples if m == mode), default=None)

    def add_value_sample(self, mode: str, quote: str, sample: ValueSample) -> None:
        with self._tx("add_value_sample") as s:
            s.samples.append((checked_mode(mode), quote, sample))

    def earliest_plan(self, mode: str) -> PlanRecord | None:
        with self._tx("earliest_plan") as s:
            plans = sorted(
                (p for p in s.plans.values() if p.mode == mode), key=lambda p: (p.created_at, p.id)
            )
        return plans[0] if plans else None
