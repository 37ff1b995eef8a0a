"""Versioned SQL migrations: ``NNNN_name.sql`` per component, applied once, in order,
under an advisory lock, each in its own transaction, recorded in ``schema_migrations``.

A service's database holds two components: ``kasane_shared`` (outbox, inbox, audit log,
idempotency keys) and the service's own. A file edited after it was applied is refused
(its checksum no longer matches) rather than silently skipped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

import asyncpg

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x6B6173616E65  # "kasane": one migrator at a time per database


class MigrationError(RuntimeError):
    """The migration history and the files disagree."""


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load(component: str, directory: Traversable) -> list[Migration]:
    """The migrations of one component, in version order."""
    found: list[Migration] = []
    for entry in directory.iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(component, int(match[1]), match[2], entry.read_text("utf-8")))
        elif entry.name.endswith(".sql"):
            raise MigrationError(f"{component}: {entry.name} is not named NNNN_name.sql")
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{component}: two migrations share a version")
    return found


def shared_migrations() -> list[Migration]:
    """The common library's tables every service database has."""
    return load("kasane_shared", files("kasane_shared.db") / "migrations")


async def migrate(conn: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    """Apply what is not applied yet; return the names applied."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   component  text        NOT NULL,
                   version    integer     NOT NULL,
                   name       text        NOT NULL,
                   checksum   text        NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (component, version))"""
        )
        rows = await conn.fetch("SELECT component, version, checksum FROM schema_migrations")
        done = {(r["component"], r["version"]): r["checksum"] for r in rows}
        for m in migrations:
            known = done.get((m.component, m.version))
            if known is not None:
                if known != m.checksum:
                    raise MigrationError(
                        f"{m.component} {m.version:04d}_{m.name} changed after it was applied"
                    )
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (component, version, name, checksum)"
                    " VALUES ($1, $2, $3, $4)",
                    m.component, m.version, m.name, m.checksum,
                )
            applied_now.append(f"{m.component}/{m.version:04d}_{m.name}")
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now
