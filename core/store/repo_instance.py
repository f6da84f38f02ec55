"""Which bot runs on this database: one `kv` row naming its process, beaten by its heartbeat.

The row's `updated_at` is the database's clock (`StoreBase._now`), so processes on
different hosts agree on how old a heartbeat is. Each method is one unit of work, and units
run one at a time on both engines (see `core.store.db`), so reading the row and writing it
back is a compare-and-set: two bots starting together cannot both win.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from core.app.records import InstanceBeat, LeaseOwner
from core.store.repo_base import StoreBase
from core.store.tables import KvRow

INSTANCE_KEY = "bot.instance"


class InstanceStore(StoreBase):
    def claim_instance(
        self, owner: LeaseOwner, stale_seconds: float, abandoned: Callable[[LeaseOwner], bool]
    ) -> InstanceBeat | None:
        """Record `owner` as this database's bot; None when it is, else the other instance
        (whose heartbeat is younger than `stale_seconds` and which is not known dead)."""
        with self._unit() as session:
            now = self._now(session)
            other = _beat(session, now)
            if other is not None and _holds(other, owner, stale_seconds, abandoned):
                return other
            session.merge(KvRow(key=INSTANCE_KEY, value=_encode(owner), updated_at=now))
            return None

    def refresh_instance(self, owner: LeaseOwner) -> bool:
        """Beat: True if `owner` is (still, or again: the row was gone) this database's bot."""
        with self._unit() as session:
            now = self._now(session)
            other = _beat(session, now)
            if other is not None and other.owner.token != owner.token:
                return False
            session.merge(KvRow(key=INSTANCE_KEY, value=_encode(owner), updated_at=now))
            return True

    def release_instance(self, owner: LeaseOwner) -> bool:
        """Say `owner` stopped (the next bot may start at once); False if it was not ours."""
        with self._unit() as session:
            row = session.get(KvRow, INSTANCE_KEY)
            if row is None or _decode(row.value).token != owner.token:
                return False
            session.delete(row)
            return True

    def clear_instance(self) -> None:
        """Forget whichever bot was recorded (a restored copy: that bot does not run on it)."""
        with self._unit() as session:
            row = session.get(KvRow, INSTANCE_KEY)
            if row is not None:
                session.delete(row)

    def instance_beat(self) -> InstanceBeat | None:
        """The bot recorded on this database and the age of its last heartbeat, if any."""
        with self._unit() as session:
            return _beat(session, self._now(session))


def _holds(
    other: InstanceBeat,
    owner: LeaseOwner,
    stale_seconds: float,
    abandoned: Callable[[LeaseOwner], bool],
) -> bool:
    """Whether `other` (not `owner`) is a live bot: its beat fresh, its process not dead."""
    if other.owner.token == owner.token:
        return False
    return other.age_s < stale_seconds and not abandoned(other.owner)


def _beat(session: Session, now: datetime) -> InstanceBeat | None:
    row = session.get(KvRow, INSTANCE_KEY)
    if row is None:
        return None
    age = (now - row.updated_at).total_seconds()
    return InstanceBeat(_decode(row.value), max(age, 0.0))


def _encode(owner: LeaseOwner) -> str:
    return json.dumps(
        {"host": owner.host, "pid": owner.pid, "boot": owner.boot, "token": owner.token}
    )


def _decode(text: str) -> LeaseOwner:
    try:
        data = json.loads(text)
        return LeaseOwner(
            str(data["host"]), int(data["pid"]), str(data["boot"]), str(data["token"])
        )
    except (ValueError, KeyError, TypeError):
        return LeaseOwner("?", 0, "", "")  # unreadable: an owner nobody can be
