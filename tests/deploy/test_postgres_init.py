"""The compose stack's PostgreSQL init script, run for real against the local stack's
server (under names of this run's own): it creates one login role and one database per
service, each role reaches its own database and is refused every other one."""

from __future__ import annotations

import asyncio
import glob
import os
import secrets
import shutil
import subprocess
from urllib.parse import urlsplit

import asyncpg
import pytest
from kasane_shared.db.pool import connect

from tests.deploy.support import DEPLOY

SCRIPT = DEPLOY / "docker" / "postgres" / "init-databases.sh"

pytestmark = pytest.mark.integration


def psql_dir() -> str:
    found = shutil.which("psql") or (sorted(glob.glob("/usr/lib/postgresql/*/bin/psql")) or [None])[-1]
    assert found, "psql is needed (the local stack installs PostgreSQL)"
    return os.path.dirname(found)


def admin_url() -> str:
    """The server's administrative URL: DATABASE_URL (`make test` and `kasane-stack env` set
    it), else the local stack's; only PostgreSQL is needed here, not Kafka."""
    from kasane_devstack import postgres

    return os.environ.get("DATABASE_URL") or postgres.admin_url()


async def test_init_script_creates_isolated_databases() -> None:
    admin = urlsplit(admin_url())
    run = secrets.token_hex(3)
    services = [f"t{run}a", f"t{run}b"]
    env = {**os.environ, "PATH": f"{psql_dir()}:{os.environ['PATH']}",
           "POSTGRES_USER": admin.username or "", "POSTGRES_DB": admin.path.lstrip("/") or "postgres",
           "PGHOST": admin.hostname or "", "PGPORT": str(admin.port), "PGPASSWORD": admin.password or "",
           "KASANE_SERVICES": " ".join(services), f"KASANE_T{run.upper()}B_DB_PASSWORD": "chosen-password"}
    try:
        done = await asyncio.to_thread(subprocess.run, ["bash", str(SCRIPT)], env=env, capture_output=True,
                                       text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        passwords = {services[0]: f"kasane-{services[0]}-dev", services[1]: "chosen-password"}
        for service, password in passwords.items():
            own = await asyncpg.connect(host=admin.hostname, port=admin.port, user=f"kasane_{service}",
                                        password=password, database=f"kasane_{service}")
            try:
                assert await own.fetchval("SELECT current_database()") == f"kasane_{service}"
                owner = await own.fetchval(
                    "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()")
                assert owner == f"kasane_{service}"
            finally:
                await own.close()
        # the Kubernetes services' form: no credentials in the URL, the role and password
        # from PGUSER and PGPASSWORD (libpq's variables, which asyncpg reads too)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PGUSER", f"kasane_{services[1]}")
            mp.setenv("PGPASSWORD", "chosen-password")
            conn = await connect(f"postgresql://{admin.hostname}:{admin.port}/kasane_{services[1]}")
            try:
                assert await conn.fetchval("SELECT current_user") == f"kasane_{services[1]}"
            finally:
                await conn.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await asyncpg.connect(host=admin.hostname, port=admin.port, user=f"kasane_{services[0]}",
                                  password=passwords[services[0]], database=f"kasane_{services[1]}")
    finally:
        conn = await asyncpg.connect(admin_url())
        try:
            for service in services:
                await conn.execute(f'DROP DATABASE IF EXISTS "kasane_{service}" WITH (FORCE)')
                await conn.execute(f'DROP ROLE IF EXISTS "kasane_{service}"')
        finally:
            await conn.close()
