"""Background processes with pid files, ports, and waiting for what the stack needs.

A pid file records the process's id, its start time (clock ticks since boot, from
``/proc/<pid>/stat``) and the boot's id, and counts only while all three still match: after
a reboot, or once the process has exited and its id gone to another program, the file is
stale and nothing is signalled. A pid file in the old form (the id alone) counts only
while that process's command line runs this checkout's programs (``.local/``)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kasane_devstack.paths import LOCAL, LOGS
from kasane_devstack.report import Failure, waiting


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- who a process is ---------------------------------------------------------------------

def boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def _stat(pid: int) -> tuple[str, int] | None:
    """The process's state letter and start time (ticks since boot), or None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError, PermissionError):
        return None
    return fields[0], int(fields[19])  # field 3 (state) and field 22 (starttime)


def start_ticks(pid: int) -> int | None:
    """When the process started (ticks since boot); None if it is gone or a zombie."""
    stat = _stat(pid)
    if stat is None or stat[0] in ("Z", "X"):
        return None
    return stat[1]


def started_at(pid: int) -> float | None:
    """When the process started, in seconds since the epoch."""
    ticks = start_ticks(pid)
    if ticks is None:
        return None
    btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                 if line.startswith("btime "))
    return btime + ticks / os.sysconf("SC_CLK_TCK")


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


@dataclass(frozen=True)
class PidRecord:
    pid: int
    start: int | None  # None: an old pid file holding the id alone
    boot: str | None

    def current(self) -> bool:
        """Whether the process this record names still runs."""
        if self.start is None:  # the old form: trust it only for this checkout's programs
            return start_ticks(self.pid) is not None and any(str(LOCAL) in a for a in cmdline(self.pid))
        return self.boot == boot_id() and start_ticks(self.pid) == self.start


def parse_pid_file(text: str) -> PidRecord | None:
    text = text.strip()
    if text.isdigit():
        return PidRecord(int(text), None, None)
    try:
        data = json.loads(text)
        return PidRecord(int(data["pid"]), int(data["start"]), str(data["boot"]))
    except (ValueError, KeyError, TypeError):
        return None


def write_pid(pid_file: Path, pid: int) -> None:
    stat = _stat(pid)
    start = stat[1] if stat else None
    tmp = pid_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": pid, "start": start, "boot": boot_id()}) + "\n")
    tmp.replace(pid_file)


def read_pid(pid_file: Path) -> int | None:
    """The pid the file names if that very process still runs; else None."""
    try:
        record = parse_pid_file(pid_file.read_text())
    except FileNotFoundError:
        return None
    return record.pid if record is not None and record.current() else None


def spawn(
    argv: Sequence[str], *, log: Path, pid_file: Path, env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start ``argv`` in its own session, output appended to ``log``; return its pid."""
    log.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True,
        )
    write_pid(pid_file, proc.pid)
    return proc.pid


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(pid_file: Path, timeout: float = 30.0) -> bool:
    """SIGTERM the process (its whole session), SIGKILL after ``timeout``; True if it ran.
    A stale file (the process gone, its id reused) is removed and nothing is signalled."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and read_pid(pid_file) is not None:
        _reap(pid)
        time.sleep(0.2)
    if read_pid(pid_file) is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return True


def kill(pid_file: Path) -> None:
    """SIGKILL at once: a crash, for tests."""
    pid = read_pid(pid_file)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and read_pid(pid_file) is not None:
            _reap(pid)
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)


# --- waiting ------------------------------------------------------------------------------

def wait_until(check: Callable[[], bool], *, what: str, timeout: float, log: Path | None = None,
               fix: str | None = None, alive: Callable[[], bool] | None = None) -> None:
    """Poll ``check`` until it holds; say what is awaited if it does not hold at once. Stop
    early when ``alive`` says the process that should make it hold has exited."""
    if check():
        return
    waiting(f"{what} (up to {timeout:.0f} s)")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise Failure(f"the process exited before {what}", log=log, fix=fix)
        if check():
            return
        time.sleep(0.25)
    raise Failure(f"no {what} within {timeout:.0f} s", log=log, fix=fix)


def run_logged(argv: Sequence[str], *, log: Path, what: str, fix: str, cwd: Path | str | None = None,
               env: Mapping[str, str] | None = None, timeout: float | None = None) -> None:
    """Run a set-up command with its output in ``log``; a failure is one :class:`Failure`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(argv)}\n".encode())
        out.flush()
        try:
            done = subprocess.run(list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  cwd=cwd, env=dict(env) if env is not None else None, timeout=timeout,
                                  check=False)
        except FileNotFoundError as exc:
            raise Failure(f"{what}: {exc.filename} is not installed", log=log, fix=fix) from None
        except subprocess.TimeoutExpired:
            raise Failure(f"{what} took longer than {timeout:.0f} s", log=log, fix=fix) from None
    if done.returncode != 0:
        raise Failure(f"{what} (exit {done.returncode})", log=log, fix=fix)


def apt_install(*packages: str) -> None:
    """Install Debian packages (root, registries only). An install that was interrupted
    before is finished first (``dpkg --configure -a``), as apt would ask by hand."""
    if os.geteuid() != 0:
        raise Failure(f"{' '.join(packages)} is not installed and only root can install it",
                      fix=f"install it (sudo apt-get install {' '.join(packages)}) and run make up again")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = LOGS / "apt.log"
    fix = "read the log; `apt-get update` and `dpkg --configure -a` by hand, then make up again"
    run_logged(["dpkg", "--configure", "-a"], log=log, what="finishing an interrupted dpkg run", fix=fix, env=env)
    run_logged(["apt-get", "update", "-q"], log=log, what="apt-get update", fix=fix, env=env)
    run_logged(["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], log=log,
               what=f"apt-get install {' '.join(packages)}", fix=fix, env=env)
