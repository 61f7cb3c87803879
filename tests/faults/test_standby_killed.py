"""A standby killed mid-load (SIGKILL of all its processes, as a host crash), then back.

Both services prefer standby 0 and fall back on standby 1. The kill must cost no
answer (a lookup on a dead connection is repeated on the other standby), and once
the standby is back, lookups return to it by themselves: no restart of the services.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.faults.census import assert_no_leak
from tests.faults.conftest import (
    HEALTHY_SECONDS,
    HOLD_SECONDS,
    POOL_MAX_SIZE,
    RECOVERY_SECONDS,
    ROUNDS,
    WARM_SECONDS,
    Cluster,
    Launcher,
    assert_logs_clean,
    settled,
    settled_sessions,
    until,
)
from tests.faults.load import HANG_SECONDS, Load, figure, public_probes, worst, wrong

IN_USE = 'rdap_coop_replica_in_use{replica="%d"}'


async def test_a_killed_standby_costs_no_answer_and_leaves_nothing_behind(
    cluster: Cluster, launch: Launcher, secrets: frozenset[str]
) -> None:
    fallback = {"DATABASE_FALLBACK_DSNS": cluster.reader_dsn(1)}
    rdap, whois = await asyncio.gather(launch("rdap", **fallback), launch("whois", **fallback))
    timeout = aiohttp.ClientTimeout(total=HANG_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load = Load(session, secrets)
        probes = public_probes(load, "lookup", rdap=rdap.url, whois=whois.port)
        await load.learn(probes)
        async with load.running(probes):
            await asyncio.sleep(WARM_SECONDS)
    before = await settled(rdap, whois)
    sessions_before = [await cluster.connections(i) for i in (0, 1)]

    recoveries = []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load.session = session
        async with load.running(probes):
            for _ in range(ROUNDS):
                await asyncio.sleep(0.2)
                await asyncio.to_thread(cluster.standbys[0].kill)
                await asyncio.sleep(HOLD_SECONDS)
                await asyncio.to_thread(cluster.standbys[0].start)
                healed = time.monotonic()

                async def back_on_the_preferred() -> bool:
                    return all([await s.metric(IN_USE % 0) == 1.0 for s in (rdap, whois)])

                recoveries.append(await until(back_on_the_preferred, RECOVERY_SECONDS))
                await load.recovered("lookup", since=healed, within=RECOVERY_SECONDS)
            await asyncio.sleep(0.2)
    after = await settled(rdap, whois)
    sessions_after = await settled_sessions(cluster, after)

    figure("standby killed", load.outcomes, load.outcomes,
           back_on_preferred_after=f"{max(recoveries):.2f} s",
           descriptors=f"{before[0]}+{before[1]} -> {after[0]}+{after[1]}",
           standby_sessions=f"{sessions_before} -> {sessions_after}")
    assert wrong(load.outcomes) == []
    # Lookups in flight on the dying standby are repeated on the other one.
    assert [o for o in load.outcomes if o.kind != "ok"] == []
    assert worst(load.outcomes) < HEALTHY_SECONDS
    preferred, spare = (standby.port for standby in cluster.standbys)
    for old, new in zip(before, after, strict=True):
        assert_no_leak(old, new)
        assert new.peers[preferred] == old.peers[preferred]
        # Connections opened to the fallback meanwhile stay pooled (idle for up to
        # 300 s, asyncpg's max_inactive_connection_lifetime), within the pool's cap.
        assert old.peers[spare] <= new.peers[spare] <= POOL_MAX_SIZE
    assert sessions_after[0] == sessions_before[0]
    assert_logs_clean([rdap, whois], secrets)
