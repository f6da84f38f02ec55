"""Telling whether a lease's process is gone: only on this host and boot, only for sure."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from core.host import boot_of, pid_alive, predecessor_is_dead, this_process


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


def test_a_process_in_another_pid_namespace_on_the_same_kernel_is_never_judged_dead() -> None:
    """Two containers with one hostname and one kernel: pid 1 in each is a different process."""
    me, gone = this_process(), exited_pid()
    boot_id, _, namespace = me.boot.partition(" ")
    assert namespace.startswith("pid:[")
    other = replace(me, boot=f"{boot_id} pid:[1]", pid=gone, token="x")
    assert not predecessor_is_dead(other, me)
    assert not predecessor_is_dead(replace(other, pid=me.pid), me)


def test_the_boot_is_the_kernels_boot_id_and_the_pid_namespace(tmp_path: Path) -> None:
    boot_id = tmp_path / "boot_id"
    boot_id.write_text("0b8a9c1e-5e1f-4a57-9f2e-2a5d4c2f7b10\n")
    namespace = tmp_path / "pid"
    namespace.symlink_to("pid:[4026531836]")
    assert boot_of(boot_id, namespace) == "0b8a9c1e-5e1f-4a57-9f2e-2a5d4c2f7b10 pid:[4026531836]"
    assert boot_of(tmp_path / "missing", namespace) == ""
