"""Reading streaming replicas: real primary, real standbys made with pg_basebackup.

A registry primary (ours to write to here, as the registry would), and two hot
standbys streaming from it, all from the pip-installed server. The service reads the
standbys only: writes on the primary must reach RDAP and WHOIS, a killed standby must
cost no answer, a lagging one must be avoided, and with none left the service must say
503 / "temporarily unavailable" and come back by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rdap_coop.app import create_app
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from rdap_coop.embedded_postgres import EmbeddedPostgres, start_embedded_postgres, start_standby
from rdap_coop.sample import load_sample_registry
from tests.conftest import PROXY_HEADERS, make_settings
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer

READER = "rdap_coop_reader"
CHECK_SECONDS = 0.2


@dataclass
class Cluster:
    primary: EmbeddedPostgres
    standbys: list[EmbeddedPostgres]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    primary = start_embedded_postgres()
    standbys: list[EmbeddedPostgres] = []
    try:
        asyncio.run(load_sample_registry(primary.dsn(), domains=30, seed=5))
        standbys = [start_standby(primary), start_standby(primary)]
        yield Cluster(primary, standbys)
    finally:
        for server in (*standbys, primary):
            server.destroy()


@dataclass
class Service:
    """Both front ends over one replica set, as ``open_runtime`` builds them."""

    client: Client
    whois: WhoisServer
    replicas: ReplicaSet
    metrics: Metrics

    async def rdap(self, path: str) -> tuple[int, dict[str, object]]:
        response = await self.client.get(path, headers=PROXY_HEADERS)
        return response.status, orjson.loads(await response.read())

    async def port43(self, query: bytes) -> str:
        reply = await ask_whois(self.whois.ports[0], query + b"\r\n", timeout_seconds=10)
        return reply.decode()

    def in_use(self) -> int | None:
        best = self.replicas.candidates()
        return best[0].index if best else None


@pytest.fixture
async def service(cluster: Cluster) -> AsyncIterator[Service]:
    for standby in cluster.standbys:  # whatever the previous test did to them
        standby.start()
        await _resume_replay(standby)
    # The registry stamps every change (and a heartbeat): the standbys are fresh.
    await _on(cluster.primary, "UPDATE registry_state SET last_change_at = now()")
    first, second = (standby.dsn(user=READER) for standby in cluster.standbys)
    settings = make_settings(
        first,
        database_fallback_dsns=second,
        replica_check_seconds=str(CHECK_SECONDS),
        replica_max_lag_seconds="1.5",
        cache_ttl_seconds="0",  # every lookup reads a replica
    )
    metrics = Metrics()
    replicas = await ReplicaSet.open(settings.database, metrics.database)
    checker = asyncio.create_task(replicas.keep_checking())
    registry = Registry(replicas)
    limits = build_rate_limiter(settings.rate_limit)
    client: Client = TestClient(TestServer(create_app(settings, registry, limits, metrics)))
    await client.start_server()
    whois = WhoisServer(registry, settings.whois, limits, metrics=metrics)
    await whois.start(hosts=["127.0.0.1"], port=0)
    try:
        await _eventually(lambda: _is_ready(client))
        yield Service(client, whois, replicas, metrics)
    finally:
        checker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checker
        await whois.stop()
        await client.close()
        await limits.close()
        await replicas.close()


async def _is_ready(client: Client) -> bool:
    return (await client.get("/ready")).status == 200


async def _eventually(condition: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def _on(server: EmbeddedPostgres, statement: str) -> object:
    connection = await asyncpg.connect(server.dsn())
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


async def _resume_replay(standby: EmbeddedPostgres) -> None:
    if await _on(standby, "SELECT pg_is_wal_replay_paused()"):
        await _on(standby, "SELECT pg_wal_replay_resume()")


def _event(document: dict[str, object], action: str) -> str:
    events = document["events"]
    assert isinstance(events, list)
    return str(next(e["eventDate"] for e in events if e["eventAction"] == action))


async def test_a_change_on_the_primary_reaches_rdap_and_whois(
    cluster: Cluster, service: Service
) -> None:
    status, before = await service.rdap("/domain/example.coop")
    assert status == 200
    await asyncio.sleep(1.1)  # event dates have whole seconds: let the clock move on
    new_expiry = await _on(cluster.primary, """
        WITH changed AS (
            UPDATE domain SET expires_at = expires_at + interval '1 year'
             WHERE ldh_name = 'example.coop' RETURNING expires_at)
        SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM changed""")
    await _on(cluster.primary, "UPDATE registry_state SET last_change_at = now()")

    async def shows_the_change() -> bool:
        _, document = await service.rdap("/domain/example.coop")
        return _event(document, "expiration").startswith(str(new_expiry))

    await _eventually(shows_the_change)
    _, after = await service.rdap("/domain/example.coop")
    # The "last update of RDAP database" event is the replica's replay position: it moved.
    moved = _event(after, "last update of RDAP database")
    assert datetime.fromisoformat(moved) > datetime.fromisoformat(
        _event(before, "last update of RDAP database"))
    assert f"Registry Expiry Date: {new_expiry}" in await service.port43(b"example.coop")


async def test_a_killed_standby_costs_no_answer_and_lookups_return_to_it(
    cluster: Cluster, service: Service
) -> None:
    assert service.in_use() == 0
    failures: list[int] = []
    stop = asyncio.Event()

    async def keep_asking() -> None:
        while not stop.is_set():
            status, _ = await service.rdap("/domain/example.coop")
            if status != 200:
                failures.append(status)

    askers = [asyncio.create_task(keep_asking()) for _ in range(6)]
    await asyncio.sleep(0.5)
    cluster.standbys[0].kill()
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.gather(*askers)
    # Lookups on a dead connection are repeated on the next replica.
    assert failures == []
    assert service.in_use() == 1
    exposition = service.metrics.exposition().decode()
    assert 'rdap_coop_replica_up{replica="0"} 0.0' in exposition
    assert 'rdap_coop_replica_in_use{replica="1"} 1.0' in exposition
    assert "rdap_coop_replica_failovers_total 1.0" in exposition  # once, no flapping

    cluster.standbys[0].start()

    async def back_on_the_preferred() -> bool:
        return service.in_use() == 0

    await _eventually(back_on_the_preferred)
    assert (await service.rdap("/domain/example.coop"))[0] == 200


async def test_a_lagging_standby_is_avoided_while_a_fresh_one_is_up(
    cluster: Cluster, service: Service
) -> None:
    heartbeat = asyncio.create_task(_stamp_every(cluster.primary, 0.1))
    try:
        await _on(cluster.standbys[0], "SELECT pg_wal_replay_pause()")

        async def moved_to_the_fresh_one() -> bool:
            return service.in_use() == 1

        await _eventually(moved_to_the_fresh_one)
        assert (await service.rdap("/domain/example.coop"))[0] == 200
        assert await _is_ready(service.client)  # one fresh replica is enough
        await _on(cluster.standbys[0], "SELECT pg_wal_replay_resume()")

        async def back_on_the_preferred() -> bool:
            return service.in_use() == 0

        await _eventually(back_on_the_preferred)
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat


async def _stamp_every(primary: EmbeddedPostgres, seconds: float) -> None:
    """The registry's heartbeat: a committed change every ``seconds``."""
    while True:
        await _on(primary, "UPDATE registry_state SET last_change_at = now()")
        await asyncio.sleep(seconds)


async def test_with_every_standby_down_answers_are_503_until_they_return(
    cluster: Cluster, service: Service
) -> None:
    for standby in cluster.standbys:
        standby.stop()
    started = time.monotonic()
    status, body = await service.rdap("/domain/example.coop")
    assert status == 503 and body["errorCode"] == 503
    assert time.monotonic() - started < 5  # no pile-up behind connect timeouts
    assert "temporarily unavailable" in await service.port43(b"example.coop")

    async def not_ready() -> bool:
        return not await _is_ready(service.client)

    await _eventually(not_ready)
    for standby in cluster.standbys:
        standby.start()

    async def answers_again() -> bool:
        return (await service.rdap("/domain/example.coop"))[0] == 200

    await _eventually(answers_again)
    await _eventually(lambda: _is_ready(service.client))
    assert "Domain Name: EXAMPLE.COOP" in await service.port43(b"example.coop")
