"""Migrations: applied once, in order, under a lock, and never silently re-edited."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from kasane_shared.db.migrate import MigrationError, load, migrate, shared_migrations
from kasane_shared.db.pool import connect

from tests.support.stack import TestStack

pytestmark = pytest.mark.integration


def _write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


async def test_applied_once_in_order_and_recorded(stack: TestStack, tmp_path: Path) -> None:
    folder = _write(tmp_path / "m", {
        "0002_add_column.sql": "ALTER TABLE widgets ADD COLUMN colour text;",
        "0001_widgets.sql": "CREATE TABLE widgets (id int PRIMARY KEY);",
    })
    url = await stack.create_database("migr_once", [])
    migrations = shared_migrations() + load("widgets", folder)
    conn = await connect(url)
    try:
        first = await migrate(conn, migrations)
        again = await migrate(conn, migrations)
        rows = await conn.fetch(
            "SELECT component, version FROM schema_migrations ORDER BY applied_at, component, version"
        )
        cols = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = 'widgets'")
    finally:
        await conn.close()
    assert first[-2:] == ["widgets/0001_widgets", "widgets/0002_add_column"]
    assert again == []
    assert [(r["component"], r["version"]) for r in rows][-2:] == [("widgets", 1), ("widgets", 2)]
    assert {r["column_name"] for r in cols} == {"id", "colour"}


async def test_concurrent_migrators_apply_each_file_once(stack: TestStack, tmp_path: Path) -> None:
    folder = _write(tmp_path / "m", {"0001_counter.sql": "CREATE TABLE counter (n int); INSERT INTO counter VALUES (1);"})  # noqa: E501
    url = await stack.create_database("migr_race", [])
    migrations = load("counter", folder)
    conns = [await connect(url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c, migrations) for c in conns))
        count = await conns[0].fetchval("SELECT count(*) FROM counter")
    finally:
        for c in conns:
            await c.close()
    assert sorted(len(r) for r in results) == [0, 0, 0, 1]
    assert count == 1


async def test_a_failed_migration_leaves_nothing_behind(stack: TestStack, tmp_path: Path) -> None:
    folder = _write(tmp_path / "m", {"0001_broken.sql": "CREATE TABLE half (id int); SELECT no_such_function();"})
    url = await stack.create_database("migr_fail", [])
    conn = await connect(url)
    try:
        with pytest.raises(asyncpg.UndefinedFunctionError):
            await migrate(conn, load("broken", folder))
        exists = await conn.fetchval("SELECT to_regclass('half') IS NOT NULL")
        recorded = await conn.fetchval("SELECT count(*) FROM schema_migrations")
    finally:
        await conn.close()
    assert not exists and recorded == 0


async def test_an_applied_file_that_changed_is_refused(stack: TestStack, tmp_path: Path) -> None:
    folder = _write(tmp_path / "m", {"0001_t.sql": "CREATE TABLE t (id int);"})
    url = await stack.create_database("migr_edit", [])
    conn = await connect(url)
    try:
        await migrate(conn, load("t", folder))
        _write(folder, {"0001_t.sql": "CREATE TABLE t (id bigint);"})
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, load("t", folder))
    finally:
        await conn.close()


def test_misnamed_files_are_refused(tmp_path: Path) -> None:
    folder = _write(tmp_path / "m", {"1_t.sql": "SELECT 1;"})
    with pytest.raises(MigrationError, match=r"NNNN_name\.sql"):
        load("t", folder)
