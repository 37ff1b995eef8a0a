"""A real PostgreSQL server from Debian's package, as the stack's own cluster.

Installed with apt when missing, initialised under ``.local/postgres`` (owned by the
``postgres`` user, as the server refuses to run as root), listening on 127.0.0.1:55432 so
it never collides with a system cluster on 5432. One database and one login role per
service; an administrative role ``kasane`` for migrations and the tests' scratch
databases.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from kasane_devstack import procs
from kasane_devstack.paths import LOCAL, LOGS, ROOT

PORT = 55432
ADMIN_USER = "kasane"
ADMIN_PASSWORD = "kasane-dev"  # development only; the stack listens on 127.0.0.1
SERVICES = ("intake", "coordination", "participation", "community")


def service_password(service: str) -> str:
    return f"kasane-{service}-dev"


def admin_url(database: str = "postgres") -> str:
    return f"postgresql://{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{PORT}/{database}"


def service_url(service: str) -> str:
    return f"postgresql://kasane_{service}:{service_password(service)}@127.0.0.1:{PORT}/kasane_{service}"


def bin_dir() -> Path:
    """The server's binaries, installing Debian's package when there are none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        print("installing PostgreSQL from Debian's package ...", flush=True)
        procs.apt_install("postgresql")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not found:
            raise RuntimeError("apt installed postgresql but no server binary was found")
    return Path(found[-1]).parent


def _as_postgres(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, check=True, **kwargs)  # type: ignore[call-overload]


def _home() -> Path:
    """The cluster's directory: ``.local/postgres``, unless the postgres user cannot reach
    the repository (a checkout under /root, say); then a directory under /var/tmp named
    after the checkout, linked from ``.local/postgres``."""
    link = LOCAL / "postgres"
    if link.is_symlink():
        return link.resolve()
    if os.geteuid() != 0:
        return link
    probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(LOCAL)],
                           check=False)
    if probe.returncode == 0:
        return link
    digest = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    target = Path("/var/tmp") / f"kasane-postgres-{digest}"
    target.mkdir(parents=True, exist_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return target


def data_dir() -> Path:
    return _home() / "data"


def socket_dir() -> Path:
    return _home() / "run"


def _chown_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)


def ensure_cluster() -> None:
    """initdb once, with the stack's settings."""
    binaries = bin_dir()
    home = _home()
    data = data_dir()
    if (data / "PG_VERSION").exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    _chown_postgres(home)
    for d in (data, socket_dir()):
        d.mkdir(parents=True, exist_ok=True)
        _chown_postgres(d)
    data.chmod(0o700)
    pwfile = home / "initdb.pw"
    pwfile.write_text(ADMIN_PASSWORD + "\n")
    _chown_postgres(pwfile)
    try:
        _as_postgres(
            [str(binaries / "initdb"), "-D", str(data), "-U", ADMIN_USER, f"--pwfile={pwfile}",
             "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8",
             "--locale=C.UTF-8"],
            stdout=subprocess.DEVNULL,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            "\n# Kasane local stack\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {PORT}\n"
            f"unix_socket_directories = '{socket_dir()}'\n"
            "max_connections = 300\n"
            "shared_buffers = 256MB\n"
            "log_min_messages = warning\n"
            "log_statement = 'none'\n"  # statements' parameters may hold personal data
        )


def running() -> bool:
    return (data_dir() / "postmaster.pid").exists() and procs.port_open(PORT)


def start() -> None:
    """Start the cluster unless it runs."""
    ensure_cluster()
    if running():
        return
    if procs.port_open(PORT):
        raise RuntimeError(f"port {PORT} is taken by another program")
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / "postgres.log"
    log.touch()
    _chown_postgres(log)
    _as_postgres([str(bin_dir() / "pg_ctl"), "-D", str(data_dir()), "-l", str(log), "-w",
                  "-t", "60", "start"], stdout=subprocess.DEVNULL)


def stop() -> bool:
    if not (data_dir() / "postmaster.pid").exists():
        return False
    _as_postgres([str(bin_dir() / "pg_ctl"), "-D", str(data_dir()), "-m", "fast", "-w", "stop"],
                 stdout=subprocess.DEVNULL)
    return True


def provision() -> None:
    """One login role and one database per service (idempotent)."""
    psql = shutil.which("psql") or str(bin_dir() / "psql")
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
    subprocess.run(
        [psql, "-v", "ON_ERROR_STOP=1", "-q", "-h", str(socket_dir()), "-p", str(PORT),
         "-U", ADMIN_USER, "-d", "postgres"],
        input="\n".join(statements).encode(), check=True, stdout=subprocess.DEVNULL,
    )
