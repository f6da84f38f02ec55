"""Holding the account lease while an execution or a reconciliation runs.

`held_lease` takes the lease (or yields None when another live process holds it), keeps it
fresh from a heartbeat task while the block runs (fills and balance reads can take long),
and gives it back at the end. `Lease.renew()` is what the order desk calls before each
order: an order is sent only right after the lease was refreshed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import structlog

from core.app.records import LeaseOwner
from core.app.repositories import Store
from core.errors import StorageError

log = structlog.get_logger(__name__)
HEARTBEATS_PER_STALE_AGE = 5  # a lease is refreshed this many times within its stale age


@dataclass(frozen=True)
class LeaseTerms:
    """How this process takes leases: who it is, when a lease is stale, who is dead.

    `held` is what this process holds right now: a lease row in its own name for anything
    else was left behind (its release failed, the database being down) and is taken back.
    """

    owner: LeaseOwner
    stale_seconds: float
    is_dead: Callable[[LeaseOwner], bool] = lambda _owner: False  # nothing known: wait
    held: set[str] = field(default_factory=set)

    @property
    def heartbeat_seconds(self) -> float:
        return self.stale_seconds / HEARTBEATS_PER_STALE_AGE

    def abandoned(self, holder: str, owner: LeaseOwner) -> bool:
        """Whether the lease `holder` holds for `owner` has nobody behind it any more."""
        if owner.token == self.owner.token:
            return holder not in self.held
        return self.is_dead(owner)


RECONCILE_LEASE = "reconcile"  # the holder name of a reconciliation (plans hold it by id)


class Lease:
    """The lease, held by `holder` for this process."""

    def __init__(self, store: Store, holder: str, terms: LeaseTerms) -> None:
        self.store, self.holder, self.terms = store, holder, terms
        self.lost = False

    def renew(self) -> bool:
        """Refresh it now; False (and lost from then on) if it is no longer ours. A database
        that does not answer raises StorageError: the lease may well still be ours, so the
        caller may try again (the order desk does, before each order)."""
        if self.lost:
            return False
        kept = self.store.refresh_lease(self.holder, self.terms.owner)
        if not kept:
            self.lost = True
            log.error("lease.lost", holder=self.holder)
        return kept

    def refresh(self) -> bool:
        """`renew`, with a database failure read as "not refreshed" (the heartbeat's way)."""
        try:
            return self.renew()
        except StorageError as e:
            log.warning("lease.refresh_failed", holder=self.holder, error=str(e))
            return False

    async def heartbeat(self) -> None:
        while not self.lost:
            await asyncio.sleep(self.terms.heartbeat_seconds)
            try:
                self.refresh()
            except Exception as e:  # a bug here must not replace the run's report
                log.error("lease.heartbeat_failed", holder=self.holder, exc_info=e)


@asynccontextmanager
async def held_lease(store: Store, holder: str, terms: LeaseTerms) -> AsyncIterator[Lease | None]:
    """The lease for `holder` while the block runs, refreshed by a heartbeat; None if taken."""
    if not store.acquire_lease(holder, terms.owner, terms.stale_seconds, terms.abandoned):
        yield None
        return
    terms.held.add(holder)
    lease = Lease(store, holder, terms)
    beat = asyncio.create_task(lease.heartbeat(), name=f"lease-heartbeat-{holder}")
    try:
        yield lease
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        terms.held.discard(holder)
        _release(store, lease)


def _release(store: Store, lease: Lease) -> None:
    """Give it back; a database failure here leaves it to go stale (or to our successor)."""
    try:
        store.release_lease(lease.holder, lease.terms.owner)
    except StorageError as e:
        log.warning("lease.release_failed", holder=lease.holder, error=str(e))
