"""Who this process is, for leases: host, pid, boot id and a token of this lifetime.

A lease held by a process on this host, under this boot, whose pid is gone (or is this
very process under an earlier lifetime, as after a container restart where the bot is
pid 1 again) belonged to a dead predecessor: it can be taken over at once. Of a process on
another host nothing can be told; its lease is taken over only once it is stale. Containers
that share a hostname and a kernel but not a pid namespace count as other hosts: a pid means
nothing across namespaces.
"""

from __future__ import annotations

import os
import secrets
import socket
from functools import cache
from pathlib import Path

from core.app.records import LeaseOwner

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
PID_NAMESPACE = Path("/proc/self/ns/pid")


@cache
def this_process() -> LeaseOwner:
    """This process, once per lifetime (the token is new at every start)."""
    return LeaseOwner(
        host=socket.gethostname(), pid=os.getpid(), boot=boot_of(), token=secrets.token_hex(8)
    )


def predecessor_is_dead(owner: LeaseOwner, me: LeaseOwner | None = None) -> bool:
    """Whether `owner` certainly no longer runs: same host and boot, and its process gone."""
    me = me or this_process()
    if not owner.boot or (owner.host, owner.boot) != (me.host, me.boot):
        return False
    if owner.pid == me.pid:
        return owner.token != me.token  # this pid, an earlier lifetime
    return not pid_alive(owner.pid)


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def boot_of(boot_id: Path = BOOT_ID, namespace: Path = PID_NAMESPACE) -> str:
    """The kernel's boot id and this process's pid namespace, as "BOOTID pid:[N]": pids of
    two leases compare only when both match. "" when the boot id cannot be read (then a
    lease is only ever taken over once it is stale)."""
    try:
        boot = boot_id.read_text().strip()
    except OSError:
        return ""
    try:
        return f"{boot} {os.readlink(namespace)}" if boot else ""
    except OSError:
        return boot
