"""A pid file counts only while the very process it names runs: its start time and the
boot must match (or, for the old form holding the id alone, its command line must run
this checkout's programs). A stale file never makes the stack skip a service, and
stopping never signals the program that now has the pid."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kasane_devstack import procs


@pytest.fixture
def unrelated() -> Iterator[subprocess.Popen[bytes]]:
    """A live program that is not the stack's (what a reused pid would name)."""
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def _write(pid_file: Path, **record: object) -> None:
    pid_file.write_text(json.dumps(record))


def test_a_process_spawned_by_the_stack_is_found_by_its_pid_file(tmp_path: Path) -> None:
    pid_file = tmp_path / "svc.pid"
    pid = procs.spawn(["sleep", "300"], log=tmp_path / "svc.log", pid_file=pid_file)
    try:
        assert procs.read_pid(pid_file) == pid
        assert procs.stop(pid_file, timeout=10) is True
        assert procs.read_pid(pid_file) is None and not pid_file.exists()
    finally:
        procs.kill(pid_file)


def test_a_pid_file_whose_process_exited_is_stale(tmp_path: Path) -> None:
    pid_file = tmp_path / "svc.pid"
    procs.spawn([sys.executable, "-c", "pass"], log=tmp_path / "svc.log", pid_file=pid_file)
    deadline = time.monotonic() + 10
    while procs.read_pid(pid_file) is not None and time.monotonic() < deadline:
        procs._reap(json.loads(pid_file.read_text())["pid"])
        time.sleep(0.05)
    assert procs.read_pid(pid_file) is None
    assert pid_file.exists()  # the file stays (a crash leaves it) and still counts for nothing


def test_another_programs_pid_with_another_start_time_is_not_ours(tmp_path: Path, unrelated) -> None:
    pid_file = tmp_path / "svc.pid"
    start = procs.start_ticks(unrelated.pid)
    assert start is not None
    _write(pid_file, pid=unrelated.pid, start=start - 1, boot=procs.boot_id())
    assert procs.read_pid(pid_file) is None
    assert procs.stop(pid_file, timeout=5) is False
    assert unrelated.poll() is None  # not signalled
    assert not pid_file.exists()


def test_a_pid_file_from_before_a_reboot_is_not_ours(tmp_path: Path, unrelated) -> None:
    pid_file = tmp_path / "svc.pid"
    # the same pid and the same ticks since boot, but another boot: after a reboot both repeat
    _write(pid_file, pid=unrelated.pid, start=procs.start_ticks(unrelated.pid), boot="another-boot")
    assert procs.read_pid(pid_file) is None
    procs.kill(pid_file)  # the harshest path: still nothing signalled
    assert unrelated.poll() is None


def test_an_old_pid_file_counts_only_for_this_checkouts_programs(tmp_path: Path, unrelated) -> None:
    pid_file = tmp_path / "svc.pid"
    pid_file.write_text(f"{unrelated.pid}\n")
    assert procs.read_pid(pid_file) is None  # `sleep 300` runs nothing from .local/
    assert procs.stop(pid_file, timeout=5) is False
    assert unrelated.poll() is None


def test_an_old_pid_file_of_this_checkouts_program_still_counts(tmp_path: Path) -> None:
    """A stack started before pid files held start times is still found (and stopped)."""
    marker = procs.LOCAL / "a-program-of-this-checkout"
    # the marker rides on the command line, where a legacy pid file's owner is recognised
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", str(marker)],
                            start_new_session=True)
    try:
        pid_file = tmp_path / "svc.pid"
        pid_file.write_text(str(proc.pid))
        assert procs.read_pid(pid_file) == proc.pid
        assert procs.stop(pid_file, timeout=10) is True
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize("text", ["", "not a pid", "{\"pid\": 12}", "[1, 2]"])
def test_a_damaged_pid_file_counts_for_nothing(tmp_path: Path, text: str) -> None:
    pid_file = tmp_path / "svc.pid"
    pid_file.write_text(text)
    assert procs.read_pid(pid_file) is None
    assert procs.stop(pid_file, timeout=1) is False
