"""Redis killed and restarted under two workers that share their rate limits through it.

Serving must go on while Redis is gone -- each worker limits on its own meanwhile,
and ``rdap_coop_rate_limit_store_degraded`` says so -- and the budgets must be shared
again once Redis is back, with no restart. A client's budget is measured directly: a
burst of requests on fresh connections (which the kernel spreads over both workers)
from one new address; shared, exactly the burst is admitted; per worker, twice that.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
from collections.abc import Iterator

import aiohttp
import pytest

from tests.faults.census import assert_no_leak
from tests.faults.conftest import (
    HEALTHY_SECONDS,
    RECOVERY_SECONDS,
    ROUNDS,
    WARM_SECONDS,
    Cluster,
    Launcher,
    Service,
    assert_logs_clean,
    settled,
    until,
)
from tests.faults.load import HANG_SECONDS, RDAP_PATHS, Load, Probe, figure, worst, wrong
from tests.redis_server import RedisServer, own_redis_server

BURST = 10
WORKERS = 2
DEGRADED = "rdap_coop_rate_limit_store_degraded"
REDIS_POOL_SIZE = 16  # create_redis_client's max_connections


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    try:
        with own_redis_server() as server:
            yield server
    except LookupError:
        pytest.skip("needs redis-server on PATH")


def client(number: int) -> str:
    """The address of the burst's client (TEST-NET-1 onwards); a new one a burst."""
    return str(ipaddress.ip_address("192.0.2.0") + number)


def _fresh() -> aiohttp.TCPConnector:
    return aiohttp.TCPConnector(force_close=True, limit=0)


async def admitted(url: str, address: str, requests: int = 40, at_once: int = 8) -> int:
    """How many of a burst from ``address`` are let through (the rest get 429); at
    most ``at_once`` in flight (0: all at once)."""
    connector = aiohttp.TCPConnector(force_close=True, limit=at_once)
    async with aiohttp.ClientSession(connector=connector) as fresh:
        async def one() -> int:
            async with fresh.get(url, headers={"X-Forwarded-For": address}) as response:
                await response.read()
                return response.status

        statuses = await asyncio.gather(*(one() for _ in range(requests)))
    assert set(statuses) <= {200, 429}, statuses
    return statuses.count(200)


async def test_serving_goes_on_without_redis_and_limits_are_shared_again_after(
    cluster: Cluster, launch: Launcher, redis: RedisServer, secrets: frozenset[str]
) -> None:
    rdap = await launch("rdap", WORKERS=str(WORKERS), REDIS_URL=redis.url,
                        RATE_LIMIT_PUBLIC_BURST=str(BURST),
                        RATE_LIMIT_PUBLIC_PER_SECOND="0.01",
                        RATE_LIMIT_EXEMPT_NETWORKS="")
    url = rdap.url + "/domain/example.coop"
    # Every request of the steady load from a new address: all charged, none refused.
    addresses = (f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" for n in itertools.count(1))
    timeout = aiohttp.ClientTimeout(total=HANG_SECONDS)
    # A connection a request, so that the kernel spreads the load over both workers
    # (a few keep-alive connections may all land on one, leaving the other idle).
    async with aiohttp.ClientSession(timeout=timeout, connector=_fresh()) as session:
        load = Load(session, secrets)

        def probe(path: str) -> Probe:
            return lambda: load.rdap("rdap", rdap.url + path, forwarded_for=next(addresses))

        probes = [probe(path) for path in RDAP_PATHS]
        await load.learn(probes)
        async with load.running(probes):
            await asyncio.sleep(WARM_SECONDS)
    assert await admitted(url, client(1)) == BURST  # shared: one budget for both

    before = await settled(rdap)
    workers = rdap.pids()

    during, recoveries = [], []
    async with aiohttp.ClientSession(timeout=timeout, connector=_fresh()) as session:
        load.session = session
        async with load.running(probes):
            for round_ in range(ROUNDS):
                await asyncio.to_thread(redis.kill)
                await until(lambda: _degraded(rdap, 1.0), RECOVERY_SECONDS)
                during.append(await admitted(url, client(2 * round_ + 2)))
                await asyncio.to_thread(redis.start)
                recoveries.append(await until(lambda: _degraded(rdap, 0.0), RECOVERY_SECONDS))
                assert await admitted(url, client(2 * round_ + 3)) == BURST
    after = await settled(rdap)

    figure("redis killed under 2 workers", load.outcomes, load.outcomes,
           admitted_of_a_burst_of_40=f"{BURST} shared, {during} per worker",
           shared_again_after=f"{max(recoveries):.2f} s",
           descriptors=f"{before[0]} -> {after[0]}",
           redis_connections=f"{before[0].peers[redis.port]} -> {after[0].peers[redis.port]}")
    assert wrong(load.outcomes) == []
    assert all(o.kind == "ok" for o in load.outcomes)
    assert worst(load.outcomes) < HEALTHY_SECONDS
    # Per worker while Redis is away: one budget each (each got ten requests or more).
    assert during == [WORKERS * BURST] * ROUNDS
    assert rdap.pids() == workers  # no worker died or was replaced
    assert_no_leak(before[0], after[0])
    assert after[0].peers[redis.port] <= WORKERS * REDIS_POOL_SIZE
    assert_logs_clean([rdap], secrets)


async def _degraded(rdap: Service, value: float) -> bool:
    return await rdap.metric(DEGRADED) == value


async def test_a_burst_from_one_client_against_a_healthy_redis_keeps_its_budget_shared(
    launch: Launcher, redis: RedisServer
) -> None:
    """Found by the test above: a burst of concurrent requests, more than the Redis
    pool has connections, makes the workers fall back to their own budgets with Redis
    up, and the client gets up to (workers + 1) times its burst -- 30 of a budget of
    10 here. Waiting 0.1 s for a pooled connection ("No connection available.")
    counts as the store being unreachable."""
    rdap = await launch("rdap", WORKERS=str(WORKERS), REDIS_URL=redis.url,
                        RATE_LIMIT_PUBLIC_BURST=str(BURST),
                        RATE_LIMIT_PUBLIC_PER_SECOND="0.01", RATE_LIMIT_EXEMPT_NETWORKS="")
    got = await admitted(rdap.url + "/domain/example.coop", client(1), 300, at_once=0)
    unreachable = rdap.log.read_text().count("rate-limit store unreachable")
    figure("burst of 300 against a healthy redis", [], [],
           admitted=f"{got} (budget {BURST})", store_declared_unreachable=unreachable)
    assert got == BURST
