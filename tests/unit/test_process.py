"""Telling whether a lease's process is gone: only on this host and boot, only for sure."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

from core.host import pid_alive, predecessor_is_dead, this_process


def exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_process_that_exited_on_this_host_is_dead() -> None:
    me = this_process()
    assert predecessor_is_dead(replace(me, pid=exited_pid(), token="earlier"), me)


def test_a_running_process_on_this_host_is_not_dead() -> None:
    me = this_process()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            assert not predecessor_is_dead(replace(me, pid=child.pid, token="other"), me)
        finally:
            child.kill()


def test_this_process_is_not_dead_but_an_earlier_lifetime_under_its_pid_is() -> None:
    me = this_process()
    assert not predecessor_is_dead(me, me)
    assert predecessor_is_dead(replace(me, token="before-the-restart"), me)


def test_of_a_process_on_another_host_or_boot_nothing_can_be_told() -> None:
    me, gone = this_process(), exited_pid()
    assert not predecessor_is_dead(replace(me, host="elsewhere", pid=gone, token="x"), me)
    assert not predecessor_is_dead(replace(me, boot="another-boot", pid=gone, token="x"), me)
    assert not predecessor_is_dead(replace(me, boot="", pid=gone, token="x"), replace(me, boot=""))


def test_a_zombie_counts_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    for _ in range(200):  # exited but not reaped: a zombie
        if not pid_alive(child.pid):
            break
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.01)"], check=True)
    assert not pid_alive(child.pid)
    child.wait()
