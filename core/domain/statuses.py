"""Every status in one place: of an order, a plan and a run. Pure values.

An order's status is what the journal records and what the exchange says of it: the
exchange reports `open`, `filled`, `partial`, `canceled` or `rejected`; the journal adds
`intent` (about to be sent), `sent` (no answer yet) and `unknown` (the answer was lost).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class OrderStatus(StrEnum):
    INTENT = "intent"  # recorded, about to be sent (or a crash came first)
    SENT = "sent"  # sent, no answer yet
    OPEN = "open"  # accepted by the exchange, not done
    FILLED = "filled"  # done, everything filled
    PARTIAL = "partial"  # done with part filled
    REJECTED = "rejected"  # certainly not placed
    UNKNOWN = "unknown"  # the answer was lost: look it up by client order id
    CANCELED = "canceled"  # done with nothing filled

    @property
    def unresolved(self) -> bool:
        """Whether the exchange must still be asked how this order ended."""
        return self in UNRESOLVED

    @property
    def done(self) -> bool:
        """Whether the exchange has finished with it (nothing more can fill)."""
        return self in DONE


UNRESOLVED = frozenset(
    {OrderStatus.INTENT, OrderStatus.SENT, OrderStatus.UNKNOWN, OrderStatus.OPEN}
)
DONE = frozenset(
    {OrderStatus.FILLED, OrderStatus.PARTIAL, OrderStatus.CANCELED, OrderStatus.REJECTED}
)


class PlanStatus(StrEnum):
    PENDING = "pending"  # stored, awaiting its owner's confirmation
    CONFIRMED = "confirmed"  # claimed once by its owner; executing or about to
    CANCELLED = "cancelled"  # the owner said no, or a change withdrew it
    EXPIRED = "expired"  # not confirmed in time
    EXECUTED = "executed"  # its run finished


class RunOutcome(StrEnum):
    RUNNING = "running"
    FULL = "full"  # every order filled
    PARTIAL = "partial"  # some orders failed or filled in part, or planned buys were dropped
    FAILED = "failed"  # no order filled
    NOTHING = "nothing"  # the plan had no orders
    UNKNOWN = "unknown"  # an order's outcome is not known yet: it may have been placed


def run_outcome(statuses: Iterable[str], *, dropped: int = 0) -> RunOutcome:
    """unknown while any order's outcome is not known yet (it may have been placed); else
    full when every order filled, failed when none did, partial otherwise. `dropped` counts
    planned orders that were never sent (re-sized away, or cut short): then it is not full."""
    known = [OrderStatus(s) for s in statuses]
    if any(s.unresolved for s in known):
        return RunOutcome.UNKNOWN
    if not known:
        return RunOutcome.FAILED if dropped else RunOutcome.NOTHING
    filled = sum(1 for s in known if s is OrderStatus.FILLED)
    if filled == len(known) and not dropped:
        return RunOutcome.FULL
    some = filled or any(s is OrderStatus.PARTIAL for s in known)
    return RunOutcome.PARTIAL if some else RunOutcome.FAILED
