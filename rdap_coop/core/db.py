"""Open and close the asyncpg pool the query layer reads the replica through.

Sessions are read-only on the server side (``default_transaction_read_only``) as
well as by the role's grants, carry a per-service ``application_name`` and a
``statement_timeout``, and run in UTC so timestamps never depend on the replica's
locale. The pool starts empty: a service started while the replica is down comes
up, answers 503, and connects once the replica is back.
"""

from __future__ import annotations

import asyncio
from typing import TypeAlias

import asyncpg
import orjson

from rdap_coop.core.config import DatabaseSettings

Pool: TypeAlias = "asyncpg.Pool[asyncpg.Record]"
PooledConnection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
Connection: TypeAlias = (
    "asyncpg.Connection[asyncpg.Record] | asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"
)


async def _init_connection(connection: Connection) -> None:
    # Nested objects come back as one json document per lookup (one round trip);
    # decode it with orjson instead of the stdlib.
    await connection.set_type_codec(
        "json", encoder=orjson.dumps, decoder=orjson.loads, schema="pg_catalog", format="text"
    )


async def _no_reset(connection: Connection) -> None:
    """Skip asyncpg's per-release reset round trip.

    The default reset runs ``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL`` on every release; our sessions never take locks, open cursors, listen or
    change settings, so there is nothing to reset and the round trip is pure cost.
    """


async def open_pool(settings: DatabaseSettings, dsn: str | None = None) -> Pool:
    """Create a pool to ``dsn`` (default: the preferred replica) without connecting:
    connections are made on first use."""
    pool: Pool = asyncpg.create_pool(
        dsn or settings.dsn,
        min_size=0,
        max_size=settings.pool_max_size,
        timeout=settings.connect_timeout_seconds,
        command_timeout=settings.command_timeout_seconds,
        max_inactive_connection_lifetime=300.0,
        init=_init_connection,
        reset=_no_reset,
        server_settings={
            "application_name": settings.application_name,
            "default_transaction_read_only": "on",
            "statement_timeout": str(settings.statement_timeout_ms),
            "TimeZone": "UTC",
        },
    )
    return await pool


async def close_pool(pool: Pool, timeout_seconds: float = 5.0) -> None:
    try:
        await asyncio.wait_for(pool.close(), timeout_seconds)
    except TimeoutError:
        pool.terminate()
