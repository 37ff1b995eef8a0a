"""Row helpers: one way to insert, update, read and lock a row from a mapping of columns.

Table and column names come from code, never from input; they are still checked against
a plain identifier pattern so a mistake cannot become SQL. Values always travel as
parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import asyncpg

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _name(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"not a plain SQL identifier: {identifier!r}")
    return identifier


def _returning(columns: str | Sequence[str] | None) -> str:
    if columns is None:
        return ""
    if columns == "*":
        return " RETURNING *"
    names = [columns] if isinstance(columns, str) else list(columns)
    return " RETURNING " + ", ".join(_name(c) for c in names)


async def insert(
    conn: asyncpg.Connection, table: str, values: Mapping[str, Any], *,
    returning: str | Sequence[str] | None = "*", on_conflict: Sequence[str] | None = None,
) -> asyncpg.Record | None:
    """INSERT one row and return it (``returning`` columns). With ``on_conflict`` (the
    conflict target's columns; empty: any constraint) an existing row is left alone and
    None is returned."""
    columns = [_name(c) for c in values]
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    conflict = ""
    if on_conflict is not None:
        target = f" ({', '.join(_name(c) for c in on_conflict)})" if on_conflict else ""
        conflict = f" ON CONFLICT{target} DO NOTHING"
    sql = (f"INSERT INTO {_name(table)} ({', '.join(columns)}) VALUES ({placeholders}){conflict}"
           f"{_returning(returning)}")
    if returning is None:
        await conn.execute(sql, *values.values())
        return None
    return await conn.fetchrow(sql, *values.values())


async def insert_many(conn: asyncpg.Connection, table: str, columns: Sequence[str],
                      rows: Iterable[Sequence[Any]]) -> None:
    """INSERT many rows of the same columns in one round trip per batch."""
    names = [_name(c) for c in columns]
    placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
    await conn.executemany(f"INSERT INTO {_name(table)} ({', '.join(names)}) VALUES ({placeholders})",
                           [tuple(r) for r in rows])


async def update(
    conn: asyncpg.Connection, table: str, key: Mapping[str, Any], changes: Mapping[str, Any], *,
    also: Sequence[str] = (), returning: str | Sequence[str] | None = "*",
) -> asyncpg.Record | None:
    """UPDATE the row(s) matching ``key`` with ``changes``; ``also`` adds fixed assignments
    written in code (``"version = version + 1"``, ``"updated_at = now()"``). Returns the
    (first) updated row, or None when nothing matched."""
    sets = [f"{_name(c)} = ${i}" for i, c in enumerate(changes, start=1)]
    sets += list(also)
    if not sets:
        raise ValueError("nothing to update")
    offset = len(changes)
    where = " AND ".join(f"{_name(c)} = ${i}" for i, c in enumerate(key, start=offset + 1))
    sql = f"UPDATE {_name(table)} SET {', '.join(sets)} WHERE {where}{_returning(returning)}"
    args = [*changes.values(), *key.values()]
    if returning is None:
        await conn.execute(sql, *args)
        return None
    return await conn.fetchrow(sql, *args)


async def get(conn: asyncpg.Connection, table: str, value: Any, *, column: str = "id",
              lock: bool = False) -> asyncpg.Record | None:
    """The row whose ``column`` is ``value`` (``lock``: FOR UPDATE, so events that follow
    take their outbox order from the commit order)."""
    return await conn.fetchrow(
        f"SELECT * FROM {_name(table)} WHERE {_name(column)} = $1{' FOR UPDATE' if lock else ''}", value)


async def lock(conn: asyncpg.Connection, table: str, value: Any, *, column: str = "id") -> asyncpg.Record | None:
    """The row, locked for the rest of the transaction."""
    return await get(conn, table, value, column=column, lock=True)
