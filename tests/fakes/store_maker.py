"""The in-memory store's maker-first orders, their legs and their amends and cancels
(as `core.store.repo_maker`; the maker desk's own narrower fake is tests/fakes/maker.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
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
from core.app.records import JournalEntry
from core.errors import StorageError
from tests.fakes.store_journal import FakeJournal


class FakeMakerBook(FakeJournal):
    def start_maker_order(self, record: MakerOrderRecord) -> None:
        with self._tx("start_maker_order") as s:
            s.makers[record.id] = record

    def finish_maker_order(self, maker_order_id: str, *, note: str, now: datetime) -> None:
        with self._tx("finish_maker_order") as s:
            s.makers[maker_order_id] = replace(s.makers[maker_order_id], finished_at=now, note=note)

    def unfinished_maker_orders(self, mode: str) -> list[MakerOrderRecord]:
        with self._tx("unfinished_maker_orders") as s:
            return [m for m in s.makers.values() if m.finished_at is None and m.mode == mode]

    def journal_leg(self, leg: LegIntent, now: datetime) -> JournalEntry:
        entry = self.journal_intent(
            leg.plan_id, leg.run_id, leg.client_order_id, leg.symbol, leg.side, leg.amount,
            now, mode=leg.mode,
        )  # fmt: skip
        with self._tx("journal_leg") as s:
            if leg.maker_order_id not in s.makers:
                raise StorageError(f"the database failed: no maker order {leg.maker_order_id}")
            s.legs[leg.client_order_id] = (leg.post_only, leg.limit_price, leg.maker_order_id)
        return entry

    def legs(self, maker_order_ids: Sequence[str]) -> list[Leg]:
        with self._tx("legs") as s:
            return [
                Leg(s.journal[cid], post_only, limit, maker_id)
                for cid, (post_only, limit, maker_id) in s.legs.items()
                if maker_id in maker_order_ids
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
        with self._tx("journal_change") as s:
            s.changes.append((client_order_id, kind, ChangeStatus.INTENT, None))
            return len(s.changes)

    def change_outcome(
        self, change_id: int, status: ChangeStatus, now: datetime, error: str | None = None
    ) -> None:
        with self._tx("change_outcome") as s:
            cid, kind, _, _ = s.changes[change_id - 1]
            s.changes[change_id - 1] = (cid, kind, status, error)

    def maker_totals(self, mode: str) -> MakerTotals:
        """Nothing traded maker-first here: the fake's exchange fills every order at once."""
        return MakerTotals()
