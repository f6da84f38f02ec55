"""Processes for leases, without spawning any: each `spawn()` is a new process lifetime on
one host, and `kill()` ends it. `is_dead` is what `LeaseTerms.is_dead` asks."""

from __future__ import annotations

import itertools

from core.app.records import LeaseOwner

HOST, BOOT = "testhost", "boot-1"
_PIDS = itertools.count(1000)  # unique across every table, as real tokens are


class FakeProcesses:
    """A host's process table: who was started, and who has died since."""

    def __init__(self) -> None:
        self._dead: set[str] = set()

    def spawn(self, host: str = HOST) -> LeaseOwner:
        pid = next(_PIDS)
        return LeaseOwner(host=host, pid=pid, boot=BOOT, token=f"token-{pid}")

    def kill(self, owner: LeaseOwner) -> None:
        self._dead.add(owner.token)

    def is_dead(self, owner: LeaseOwner) -> bool:
        """Known dead on this host; of another host nothing can be told (so: not dead)."""
        return owner.host == HOST and owner.token in self._dead


class ProcessDied(BaseException):
    """Raised where a test kills the process mid-step (kill -9, power cut): not an Exception,
    so nothing in the core catches it; what was committed is all that is left."""
