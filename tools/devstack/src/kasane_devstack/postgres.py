"""A real PostgreSQL server from Debian's package, as the stack's own cluster.

PostgreSQL refuses to run as root, so a root-run stack runs it as the ``postgres`` user,
and that user must reach everything the server touches: the data directory, its log,
and the directory it starts in. A checkout under a 0700 home, in a ``mktemp -d``
directory or anywhere else that user cannot enter is the common case, so for root the
cluster always lives outside the checkout, in ``/var/lib/kasane-devstack/<hash of the
checkout's path>/`` (owned by ``postgres``, mode 0700), linked from ``.local/postgres``;
its log is linked from ``.local/logs/postgres.log``; its commands run from ``/``. ``make
clean`` removes both. A stack run by another user runs the server as that user, in
``.local/postgres`` itself.

The server listens on 127.0.0.1 only, on ``KASANE_STACK_POSTGRES_PORT`` (55432 by default,
so it never collides with a system cluster on 5432), without a Unix socket (a socket
path under a deep checkout can exceed the kernel's 107 bytes). One database and one login
role per service; an administrative role ``kasane`` for migrations and the tests' scratch
databases. ``initdb`` writes into ``data.initdb`` and the directory becomes ``data`` only
once it is complete, so an interrupted first run is started over, never half used.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kasane_devstack import ports, procs
from kasane_devstack.paths import LOCAL, LOGS, ROOT, STATE_BASE
from kasane_devstack.report import Failure, say

ADMIN_USER = "kasane"
ADMIN_PASSWORD = "kasane-dev"  # development only; the stack listens on 127.0.0.1
SERVICES = ports.SERVICE_NAMES
SERVER_USER = "postgres"  # the server's user when the stack runs as root


def port() -> int:
    return ports.current().postgres


def service_password(service: str) -> str:
    return f"kasane-{service}-dev"


def admin_url(database: str = "postgres") -> str:
    return f"postgresql://{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{port()}/{database}"


def service_url(service: str) -> str:
    return f"postgresql://kasane_{service}:{service_password(service)}@127.0.0.1:{port()}/kasane_{service}"


def bin_dir() -> Path:
    """The server's binaries, installing Debian's package when there are none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        say("  installing PostgreSQL from Debian's packages (first run on this machine)")
        procs.apt_install("postgresql")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not found:
            raise Failure("apt installed postgresql but no server binary was found", log=LOGS / "apt.log",
                          fix="check which postgresql package apt chose")
    return Path(found[-1]).parent


def version() -> str:
    return bin_dir().parent.name


def _as_server(argv: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *argv] if os.geteuid() == 0 else argv


def _chown_server(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam(SERVER_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


# --- where the cluster lives ----------------------------------------------------------------

def state_dir(root: Path = ROOT, base: Path = STATE_BASE) -> Path:
    """The root-run cluster's directory for the checkout at ``root``."""
    return base / hashlib.sha256(str(root).encode()).hexdigest()[:16]


def _claim(target: Path) -> None:
    """Mark ``target`` as this checkout's (a file naming it, for `make clean` and people)."""
    (target / "checkout").write_text(f"{ROOT}\n")


def _owner(target: Path) -> Path | None:
    try:
        return Path((target / "checkout").read_text().strip())
    except FileNotFoundError:
        return None


def home(create: bool = False) -> Path:
    """The cluster's directory (with ``create``, made on first use): see the module's
    docstring. Without it nothing is made (``make status``, ``make down``)."""
    link = LOCAL / "postgres"
    if link.is_symlink():
        target = Path(os.readlink(link))
        owner = _owner(target) if target.is_dir() else None
        if create and owner is not None and owner != ROOT:
            other = owner / ".local" / "postgres"
            if other.is_symlink() and Path(os.readlink(other)) == target:
                raise Failure(f".local/postgres links to the cluster of the checkout {owner} (a copied .local/)",
                              fix="rm .local/postgres, then make up again (this checkout gets a cluster of its own)")
            _claim(target)  # the checkout was moved here: the cluster moves with it
        if target.is_dir() or not create:
            return target
        link.unlink()  # its directory was removed: start afresh
    elif link.is_dir():
        # a cluster inside the checkout: a non-root stack's, or a root stack's from before
        # the cluster moved out (the postgres user could reach it, or initdb had failed)
        if os.geteuid() != 0 or (link / "data" / "PG_VERSION").exists() or not create:
            return link
        shutil.rmtree(link)
    if not create:
        return link if os.geteuid() != 0 else state_dir()
    if os.geteuid() != 0:
        link.mkdir(parents=True, exist_ok=True)
        return link
    STATE_BASE.mkdir(parents=True, exist_ok=True)
    STATE_BASE.chmod(0o755)  # the postgres user must pass through it
    target = state_dir()
    target.mkdir(exist_ok=True)
    _chown_server(target)
    target.chmod(0o700)
    _claim(target)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return target


def data_dir() -> Path:
    return home() / "data"


def log_file() -> Path:
    """The server's log, where the server's user can write it (linked from .local/logs)."""
    return home() / "postgres.log"


def _link_log() -> None:
    LOGS.mkdir(parents=True, exist_ok=True)
    link, real = LOGS / "postgres.log", log_file()
    if link.is_symlink() and Path(os.readlink(link)) == real:
        return
    if link.exists() and not link.is_symlink() and not real.exists():
        link.replace(real)  # an older stack's log, kept
    else:
        link.unlink(missing_ok=True)
    link.symlink_to(real)


_CONF = """
# Kasane local stack (the port comes from the command line: KASANE_STACK_POSTGRES_PORT)
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
shared_buffers = 256MB
log_min_messages = warning
log_statement = 'none'
"""  # statements' parameters may hold personal data: never logged


def ensure_cluster() -> None:
    """initdb once, with the stack's settings; a half-done one from an interrupted run is
    removed and done again."""
    binaries = bin_dir()
    h = home(create=True)
    data, partial = h / "data", h / "data.initdb"
    if (data / "PG_VERSION").exists():
        return
    for leftover, why in ((partial, "an interrupted initdb"), (data, "a data directory without a cluster")):
        if leftover.exists():
            say(f"  removing {leftover} ({why} of an earlier run)")
            shutil.rmtree(leftover)
    partial.mkdir()
    _chown_server(partial)
    partial.chmod(0o700)
    pwfile = h / "initdb.pw"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    _chown_server(pwfile)
    pwfile.chmod(0o600)
    try:
        procs.run_logged(
            _as_server([str(binaries / "initdb"), "-D", str(partial), "-U", ADMIN_USER, f"--pwfile={pwfile}",
                        "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8"]),
            log=LOGS / "postgres-initdb.log", what="initdb", cwd="/", timeout=300,
            fix="read the log; make up again starts initdb afresh",
        )
    finally:
        pwfile.unlink(missing_ok=True)
    with (partial / "postgresql.conf").open("a") as conf:
        conf.write(_CONF)
    partial.rename(data)


@dataclass(frozen=True)
class Server:
    pid: int
    port: int


def server() -> Server | None:
    """The server ``postmaster.pid`` names, if that very process runs: its pid, its start
    time (the file's third line) and its command line must all agree. After a reboot the
    file may name a pid another program now has; that program is never taken for it."""
    try:
        lines = (data_dir() / "postmaster.pid").read_text().splitlines()
        pid, started, listening = int(lines[0]), int(lines[2]), int(lines[3])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    at = procs.started_at(pid)
    argv = procs.cmdline(pid)
    if at is None or abs(at - started) > 2 or not argv or not argv[0].endswith("postgres"):
        return None
    return Server(pid, listening)


def running() -> bool:
    return server() is not None


def _drop_stale_pid_file() -> None:
    pid_file = data_dir() / "postmaster.pid"
    if pid_file.exists() and server() is None:
        say(f"  removing a stale {pid_file} (its server is gone; the pid it names is not this cluster's)")
        pid_file.unlink()


def start() -> None:
    """Start the cluster unless it runs."""
    ensure_cluster()
    wanted = port()
    running_now = server()
    if running_now is not None:
        if running_now.port != wanted:
            raise Failure(f"this checkout's PostgreSQL runs on port {running_now.port}, not {wanted}",
                          fix=f"make down, then make up with {ports.setting('postgres')}={wanted}")
        return
    _drop_stale_pid_file()
    if procs.port_open(wanted):
        raise Failure(f"port {wanted} for PostgreSQL is taken by another program",
                      fix=f"stop that program, or move the stack: {ports.setting('postgres')}=<free port> make up")
    _link_log()
    procs.run_logged(
        _as_server([str(bin_dir() / "pg_ctl"), "-D", str(data_dir()), "-l", str(log_file()), "-w", "-t", "60",
                    "-o", f"-p {wanted}", "start"]),
        log=LOGS / "postgres-ctl.log", what="PostgreSQL did not start", cwd="/",
        fix=f"read {LOGS / 'postgres.log'} (the server's own log) too",
    )


def stop() -> bool:
    if server() is None:
        _drop_stale_pid_file()
        return False
    procs.run_logged(
        _as_server([str(bin_dir() / "pg_ctl"), "-D", str(data_dir()), "-m", "fast", "-w", "stop"]),
        log=LOGS / "postgres-ctl.log", what="PostgreSQL did not stop", cwd="/",
        fix=f"read {LOGS / 'postgres.log'}",
    )
    return True


def provision() -> None:
    """One login role and one database per service (idempotent)."""
    statements = []
    for service in SERVICES:
        role, password = f"kasane_{service}", service_password(service)
        statements.append(
            f"SELECT format('CREATE ROLE {role} LOGIN PASSWORD %L', '{password}') "
            f"WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') \\gexec"
        )
        statements.append(
            f"SELECT 'CREATE DATABASE kasane_{service} OWNER {role}' "
            f"WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'kasane_{service}') \\gexec"
        )
    log = LOGS / "postgres-provision.log"
    with log.open("ab") as out:
        done = subprocess.run(
            [str(bin_dir() / "psql"), "-v", "ON_ERROR_STOP=1", "-q", "-h", "127.0.0.1", "-p", str(port()),
             "-U", ADMIN_USER, "-d", "postgres"],
            input="\n".join(statements).encode(), stdout=out, stderr=subprocess.STDOUT, check=False,
            env={**os.environ, "PGPASSWORD": ADMIN_PASSWORD, "PGCONNECT_TIMEOUT": "10"},
        )
    if done.returncode != 0:
        raise Failure("creating the services' roles and databases", log=log,
                      fix="read the log; is the server on the port this checkout's PostgreSQL?")
