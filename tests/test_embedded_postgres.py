"""The throwaway cluster starts, keeps its data across stop and start, and leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from rdap_coop.embedded_postgres import (
    EmbeddedPostgres,
    embedded_postgres,
    find_postgres_bin_dir,
    start_embedded_postgres,
)


@pytest.fixture(scope="module")
def cluster() -> Iterator[EmbeddedPostgres]:
    with embedded_postgres() as pg:
        yield pg


async def _fetch_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        version: str = await connection.fetchval("SELECT version()")
    finally:
        await connection.close()
    return version


async def _execute(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _fetch_names(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await connection.fetch("SELECT name FROM survivor ORDER BY name")
    finally:
        await connection.close()
    return [str(row["name"]) for row in rows]


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])


def _is_process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers signal 0 until something reaps it, but it is not a server.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" in status.read_text()


def test_bin_dir_holds_server_binaries() -> None:
    bin_dir = find_postgres_bin_dir()

    assert (bin_dir / "postgres").is_file()
    assert (bin_dir / "pg_ctl").is_file()


def test_listens_on_loopback_tcp(cluster: EmbeddedPostgres) -> None:
    version = asyncio.run(_fetch_version(cluster.dsn()))

    assert version.startswith("PostgreSQL ")
    assert cluster.host == "127.0.0.1"
    assert cluster.dsn() == f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"


def test_throwaway_settings_are_applied() -> None:
    with embedded_postgres(settings={"application_name": "rdap coop test"}) as pg:
        values = asyncio.run(_fetch_settings(pg.dsn()))

    assert values == {"fsync": "off", "application_name": "rdap coop test"}


async def _fetch_settings(dsn: str) -> dict[str, str]:
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await connection.fetch(
            "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'application_name')"
        )
    finally:
        await connection.close()
    return {str(row["name"]): str(row["setting"]) for row in rows}


def test_reserved_setting_is_rejected() -> None:
    with pytest.raises(ValueError, match="port"):
        start_embedded_postgres(settings={"port": "5432"})


def test_stop_refuses_connections_and_start_keeps_data(cluster: EmbeddedPostgres) -> None:
    asyncio.run(_execute(cluster.dsn(), "CREATE TABLE survivor (name text)"))
    asyncio.run(_execute(cluster.dsn(), "INSERT INTO survivor VALUES ('kept.coop')"))

    cluster.stop()
    cluster.stop()
    with pytest.raises(OSError):
        asyncio.run(_fetch_version(cluster.dsn()))

    cluster.start()
    assert asyncio.run(_fetch_names(cluster.dsn())) == ["kept.coop"]


def test_destroy_removes_directory_and_server() -> None:
    pg = start_embedded_postgres()
    pid = _postmaster_pid(pg.data_dir)

    pg.destroy()
    pg.destroy()

    assert not pg.data_dir.exists()
    assert _is_process_gone(pid)
