"""The in-memory store's record of the database's bot (as `core.store.repo_instance`): one
kv entry naming the process and the time of its last beat, by the store's clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from core.app.records import InstanceBeat, LeaseOwner
from tests.fakes.store_base import FakeStoreBase

INSTANCE_KEY = "bot.instance"


class FakeInstances(FakeStoreBase):
    def claim_instance(
        self, owner: LeaseOwner, stale_seconds: float, abandoned: Callable[[LeaseOwner], bool]
    ) -> InstanceBeat | None:
        with self._tx("claim_instance") as s:
            now = self.clock()
            other = _beat(s.kv.get(INSTANCE_KEY), now)
            if other is not None and _holds(other, owner, stale_seconds, abandoned):
                return other
            s.kv[INSTANCE_KEY] = _encode(owner, now)
            return None

    def refresh_instance(self, owner: LeaseOwner) -> bool:
        with self._tx("refresh_instance") as s:
            now = self.clock()
            other = _beat(s.kv.get(INSTANCE_KEY), now)
            if other is not None and other.owner.token != owner.token:
                return False
            s.kv[INSTANCE_KEY] = _encode(owner, now)
            return True

    def release_instance(self, owner: LeaseOwner) -> bool:
        with self._tx("release_instance") as s:
            other = _beat(s.kv.get(INSTANCE_KEY), self.clock())
            if other is None or other.owner.token != owner.token:
                return False
            del s.kv[INSTANCE_KEY]
            return True

    def clear_instance(self) -> None:
        with self._tx("clear_instance") as s:
            s.kv.pop(INSTANCE_KEY, None)

    def instance_beat(self) -> InstanceBeat | None:
        with self._tx("instance_beat") as s:
            return _beat(s.kv.get(INSTANCE_KEY), self.clock())


def _holds(
    other: InstanceBeat,
    owner: LeaseOwner,
    stale_seconds: float,
    abandoned: Callable[[LeaseOwner], bool],
) -> bool:
    if other.owner.token == owner.token:
        return False
    return other.age_s < stale_seconds and not abandoned(other.owner)


def _encode(owner: LeaseOwner, at: datetime) -> str:
    fields = {"host": owner.host, "pid": owner.pid, "boot": owner.boot, "token": owner.token}
    return json.dumps(fields | {"at": at.isoformat()})


def _beat(text: str | None, now: datetime) -> InstanceBeat | None:
    if text is None:
        return None
    data = json.loads(text)
    owner = LeaseOwner(data["host"], data["pid"], data["boot"], data["token"])
    age = (now - datetime.fromisoformat(data["at"])).total_seconds()
    return InstanceBeat(owner, max(age, 0.0))
