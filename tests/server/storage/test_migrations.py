"""Migrations apply in order, once, under a lock, and refuse edited history."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from server.storage.migrations import (
    MigrationError,
    apply_migrations,
    load_migrations,
    migration_status,
)
from server.storage.pool import connect


def _write(folder: Path, name: str, sql: str) -> None:
    (folder / name).write_text(sql)


async def test_applies_in_order_and_records_checksums(fresh_database: str, tmp_path: Path) -> None:
    _write(tmp_path, "0002_add_b.sql", "CREATE TABLE b (a_id int REFERENCES a (id));")
    _write(tmp_path, "0001_create_a.sql", "CREATE TABLE a (id int PRIMARY KEY);")
    conn = await connect(fresh_database)
    try:
        assert await apply_migrations(conn, tmp_path) == ["0001_create_a.sql", "0002_add_b.sql"]
        assert await apply_migrations(conn, tmp_path) == []
        rows = await conn.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [1, 2]
        assert all(len(r["checksum"]) == 64 for r in rows)
    finally:
        await conn.close()


async def test_edited_migration_is_refused(fresh_database: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_create_a.sql", "CREATE TABLE a (id int);")
    conn = await connect(fresh_database)
    try:
        await apply_migrations(conn, tmp_path)
        _write(tmp_path, "0001_create_a.sql", "CREATE TABLE a (id bigint);")
        with pytest.raises(MigrationError, match="edited"):
            await apply_migrations(conn, tmp_path)
        with pytest.raises(MigrationError, match="edited"):
            await migration_status(conn, tmp_path)
    finally:
        await conn.close()


async def test_failed_migration_rolls_back_alone(fresh_database: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_create_a.sql", "CREATE TABLE a (id int);")
    _write(tmp_path, "0002_break_things.sql", "CREATE TABLE c (id int); SELECT no_such_function();")
    conn = await connect(fresh_database)
    try:
        with pytest.raises(Exception, match="no_such_function"):
            await apply_migrations(conn, tmp_path)
        status = await migration_status(conn, tmp_path)
        assert status.applied == ["0001_create_a.sql"]
        assert await conn.fetchval("SELECT to_regclass('c')") is None
    finally:
        await conn.close()


async def test_two_processes_starting_together_do_not_race(fresh_database: str) -> None:
    conns = [await connect(fresh_database) for _ in range(3)]
    try:
        results = await asyncio.gather(*(apply_migrations(c) for c in conns))
        applied = [name for result in results for name in result]
        assert sorted(applied) == [m.name for m in load_migrations()]
    finally:
        for c in conns:
            await c.close()


def test_badly_named_file_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "1_oops.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_verb_object"):
        load_migrations(tmp_path)
