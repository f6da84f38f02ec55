"""One bot per account: the bot records itself on the database and beats a heartbeat.

`BotInstance.claim()` refuses to start (OperationRefused `instance_running`, naming the
other process's host, pid and heartbeat age) while another instance's heartbeat is
younger than `INSTANCE_STALE_SECONDS` by the database's clock, unless that instance is known
dead (same host and boot, its pid gone: a restart takes over at once). The heartbeat
(`beat()`, every `HEARTBEAT_SECONDS`) keeps the record fresh; `release()` at a clean stop
lets the next bot start at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from core.app.lease import LeaseTerms
from core.app.records import InstanceBeat
from core.app.repositories import Store
from core.errors import OperationRefused, StorageError

log = structlog.get_logger(__name__)
HEARTBEAT_SECONDS = 60  # the bot beats this often
INSTANCE_STALE_SECONDS = 180  # a heartbeat older than this (three missed beats): stopped


@dataclass
class BotInstance:
    """This process as the database's one bot (its identity and who is dead: `terms`)."""

    store: Store
    terms: LeaseTerms
    stale_seconds: float = INSTANCE_STALE_SECONDS

    def claim(self) -> None:
        """Become the database's bot, or raise OperationRefused naming the one that is."""
        other = self.store.claim_instance(self.terms.owner, self.stale_seconds, self.terms.is_dead)
        if other is not None:
            raise instance_running(other, self.stale_seconds)
        log.info("instance.claimed", host=self.terms.owner.host, pid=self.terms.owner.pid)

    def beat(self) -> None:
        """Refresh the record; OperationRefused `instance_running` if another instance took
        over (this one's heartbeat had gone stale): this process must stop being the bot."""
        if self.store.refresh_instance(self.terms.owner):
            return
        other = self.store.instance_beat()
        if other is None:  # released in between: take it back
            self.claim()
            return
        log.error("another bot instance took over this database", host=other.owner.host)
        raise instance_running(other, self.stale_seconds)

    def release(self) -> None:
        """Stopped cleanly: the next bot may start at once. A database failure leaves the
        record to go stale (or to a restart on this host, which sees this pid gone)."""
        try:
            self.store.release_instance(self.terms.owner)
        except StorageError as e:
            log.warning("instance.release_failed", error=str(e))


def instance_running(other: InstanceBeat, stale_seconds: float) -> OperationRefused:
    owner = other.owner
    return OperationRefused(
        f"another bot instance is running on this database: host {owner.host}, pid "
        f"{owner.pid}, last heartbeat {int(other.age_s)} s ago (it counts as stopped once its "
        f"heartbeat is {stale_seconds:.0f} s old)",
        code="instance_running",
        data={"host": owner.host, "pid": owner.pid, "age_s": round(other.age_s)},
    )


def fresh_instance(
    store: Store, stale_seconds: float = INSTANCE_STALE_SECONDS
) -> InstanceBeat | None:
    """The bot whose heartbeat on this database is fresh, if one is."""
    beat = store.instance_beat()
    return beat if beat is not None and beat.age_s < stale_seconds else None
