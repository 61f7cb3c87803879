"""A standby that is up but does not answer in time: behind a lock, or frozen.

Two ways a standby gets slow: an ``ACCESS EXCLUSIVE`` lock on ``domain`` taken on the
primary and replayed (lookups queue behind the replay; the other standby's replay is
paused just before it, as one that has not got there yet), and a frozen host (every
server process stopped with SIGSTOP: connections are still accepted by the kernel,
nothing answers). One RDAP and one WHOIS service read only the slow standby, another
RDAP service prefers the other standby and keeps the slow one as its fallback. The
healthy service must stay fast; the slow ones must answer 503 / "temporarily
unavailable" within their configured deadlines, never hang, and recover by
themselves once the standby is well again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import aiohttp
import asyncpg

from tests.faults.census import assert_no_leak
from tests.faults.conftest import (
    HEALTHY_SECONDS,
    HOLD_SECONDS,
    RECOVERY_SECONDS,
    REFUSAL_SECONDS,
    ROUNDS,
    WARM_SECONDS,
    Cluster,
    Launcher,
    Service,
    assert_logs_clean,
    freeze,
    settled,
    settled_sessions,
    sql,
    thaw,
    until,
)
from tests.faults.load import HANG_SECONDS, Load, figure, public_probes, worst, wrong

SLOW = ("slow-rdap", "slow-whois")

Fault = Callable[[Cluster], AbstractAsyncContextManager[None]]


@contextlib.asynccontextmanager
async def replayed_lock(cluster: Cluster) -> AsyncIterator[None]:
    """Standby 0 replays an exclusive lock on ``domain``; standby 1 is paused before it."""
    await sql(cluster.standbys[1], "SELECT pg_wal_replay_pause()")
    admin = await asyncpg.connect(cluster.primary.dsn())
    registry = await asyncpg.connect(cluster.primary.dsn())
    try:
        transaction = registry.transaction()
        await transaction.start()
        await registry.execute("LOCK TABLE domain IN ACCESS EXCLUSIVE MODE")
        # The lock's WAL record is sent once flushed: a switch flushes it now.
        await admin.execute("SELECT pg_switch_wal()")
        try:
            yield
        finally:
            await transaction.rollback()
    finally:
        await registry.close()
        await admin.close()
        await sql(cluster.standbys[1], "SELECT pg_wal_replay_resume()")


@contextlib.asynccontextmanager
async def frozen_host(cluster: Cluster) -> AsyncIterator[None]:
    freeze(cluster.standbys[0])
    try:
        yield
    finally:
        thaw(cluster.standbys[0])


async def test_a_slow_standby_costs_prompt_503s_there_and_nothing_elsewhere(
    cluster: Cluster, launch: Launcher, secrets: frozenset[str]
) -> None:
    only_slow = {"DATABASE_DSN": cluster.reader_dsn(0)}
    services = await asyncio.gather(
        launch("rdap", **only_slow), launch("whois", **only_slow),
        launch("rdap", DATABASE_DSN=cluster.reader_dsn(1),
               DATABASE_FALLBACK_DSNS=cluster.reader_dsn(0)))
    timeout = aiohttp.ClientTimeout(total=HANG_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load = Load(session, secrets)
        probes = [*public_probes(load, "slow-rdap", rdap=services[0].url),
                  *public_probes(load, "slow-whois", whois=services[1].port),
                  *public_probes(load, "healthy", rdap=services[2].url)]
        await load.learn(probes)
        async with load.running(probes, askers=6):
            await asyncio.sleep(WARM_SECONDS)
    before = await settled(*services)
    sessions_before = [await cluster.connections(i) for i in (0, 1)]

    faults: list[tuple[str, Fault]] = [("behind a replayed lock", replayed_lock),
                                       ("host frozen", frozen_host)]
    for name, fault in faults:
        started = time.monotonic()
        async with aiohttp.ClientSession(timeout=timeout) as session:
            load.session = session
            async with load.running(probes, askers=6):
                readiness, recovery = await _inflict(fault, cluster, load, services[0])
        after = await settled(*services)
        sessions_after = await settled_sessions(cluster, after)

        outcomes = load.of(since=started)
        refused = [o for o in outcomes if o.kind == "unavailable"]
        healthy = load.of("healthy", since=started)
        figure(f"standby {name}", outcomes, healthy,
               worst_slow_refusal=f"{worst(refused) * 1000:.0f} ms",
               slow_ready_during_fault=sorted(readiness), recovered_after=f"{recovery:.2f} s",
               descriptors="+".join(map(str, before)) + " -> " + "+".join(map(str, after)),
               standby_sessions=f"{sessions_before} -> {sessions_after}")
        assert wrong(outcomes) == []
        assert all(o.kind == "ok" for o in healthy)
        assert worst(healthy) < HEALTHY_SECONDS
        # Every slow lookup ended by a deadline of the service, with a proper refusal.
        assert {o.label for o in refused} == set(SLOW)
        assert worst(refused) < REFUSAL_SECONDS
        for old, new in zip(before, after, strict=True):
            assert_no_leak(old, new)
            assert new.peers == old.peers, (old.peers, new.peers)
        assert sessions_after == sessions_before
    assert_logs_clean(services, secrets)


async def _inflict(
    fault: Fault, cluster: Cluster, load: Load, slow_rdap: Service
) -> tuple[set[int], float]:
    """The fault, ROUNDS times, under the running load: the slow service's readiness
    seen meanwhile, and the longest time its answers took to come back."""
    readiness, recoveries = set(), []
    for _ in range(ROUNDS):
        await asyncio.sleep(0.2)
        async with fault(cluster):
            slowed = time.monotonic()
            await until(functools.partial(load.refused_all, SLOW, slowed), 10.0)
            await asyncio.sleep(HOLD_SECONDS)
            readiness.add((await slow_rdap.internal("/ready"))[0])
        healed = time.monotonic()
        recoveries += [await load.recovered(label, since=healed, within=RECOVERY_SECONDS)
                       for label in SLOW]
    await asyncio.sleep(0.2)
    return readiness, max(recoveries)
