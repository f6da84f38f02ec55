"""The in-memory store's order journal and fills (as `core.store.repo_journal`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from core.app.records import FillRecord, JournalEntry
from core.domain.models import ZERO, Side
from core.domain.statuses import OrderStatus
from core.errors import StorageError
from tests.fakes.store_base import FakeStoreBase, checked_mode


class FakeJournal(FakeStoreBase):
    def journal_intent(  # noqa: PLR0917 (positional, as the Journal port has it)
        self,
        plan_id: str,
        run_id: int | None,
        client_order_id: str,
        symbol: str,
        side: Side,
        amount: Decimal,
        now: datetime,
        *,
        mode: str,
    ) -> JournalEntry:
        with self._tx("journal_intent") as s:
            if client_order_id in s.journal or plan_id not in s.plans:
                raise StorageError(f"the database failed: cannot journal {client_order_id}")
            if run_id is not None and run_id not in s.runs:
                raise StorageError(f"the database failed: there is no run {run_id}")
            s.last_journal_id += 1
            entry = JournalEntry(
                id=s.last_journal_id,
                plan_id=plan_id,
                run_id=run_id,
                client_order_id=client_order_id,
                symbol=symbol,
                side=side,
                amount=amount,
                status=OrderStatus.INTENT,
                exchange_order_id=None,
                filled_amount=ZERO,
                average_price=None,
                cost=ZERO,
                fee=ZERO,
                error=None,
                created_at=now,
                updated_at=now,
                mode=checked_mode(mode),
            )
            s.journal[client_order_id] = entry
            return entry

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
        given: dict[str, Any] = {
            "exchange_order_id": exchange_order_id,
            "filled_amount": filled_amount,
            "average_price": average_price,
            "cost": cost,
            "fee": fee,
            "error": error,
        }
        changes = {k: v for k, v in given.items() if v is not None}
        with self._tx("journal_update") as s:
            entry = s.journal.get(client_order_id)
            if entry is None:
                raise StorageError(f"no journal entry has client order id {client_order_id}")
            s.journal[client_order_id] = new = replace(
                entry, status=status, updated_at=now, **changes
            )
            return new

    def journal_unresolved(self, mode: str | None = None) -> list[JournalEntry]:
        """Unresolved entries; of `mode` if given (a live process also decides mode None)."""
        modes = {mode, None} if mode == "live" else {mode}
        with self._tx("journal_unresolved") as s:
            return [
                e
                for e in s.journal.values()
                if e.status.unresolved and (mode is None or e.mode in modes)
            ]

    def journal_for_ids(self, client_order_ids: Sequence[str]) -> list[JournalEntry]:
        wanted = set(client_order_ids)
        with self._tx("journal_for_ids") as s:
            return [e for e in s.journal.values() if e.client_order_id in wanted]

    def journal_for_plan(self, plan_id: str) -> list[JournalEntry]:
        with self._tx("journal_for_plan") as s:
            return [e for e in s.journal.values() if e.plan_id == plan_id]

    def label_live(self, client_order_ids: Sequence[str]) -> int:
        wanted = set(client_order_ids)
        with self._tx("label_live") as s:
            legacy = [e for e in s.journal.values() if e.client_order_id in wanted and not e.mode]
            plans = {e.plan_id for e in legacy}
            for e in legacy:
                s.journal[e.client_order_id] = replace(e, mode="live")
            for plan_id in plans & set(s.plans):
                s.plans[plan_id] = replace(s.plans[plan_id], mode="live")
            for run in [r for r in s.runs.values() if r.plan_id in plans]:
                s.runs[run.id] = replace(run, mode="live")
            return len(plans)

    def record_fill(self, fill: FillRecord) -> bool:
        with self._tx("record_fill") as s:
            new = fill.exchange_order_id not in s.fills
            s.fills[fill.exchange_order_id] = replace(fill, mode=checked_mode(fill.mode))
            return new

    def fills(self, symbol: str | None = None, mode: str | None = None) -> list[FillRecord]:
        with self._tx("fills") as s:
            found = [
                f for f in s.fills.values() if symbol in (None, f.symbol) and mode in (None, f.mode)
            ]
        return sorted(found, key=lambda f: f.filled_at)  # stable: first recorded first
