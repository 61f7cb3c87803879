"""Every standby stopped (fast shutdown, as for maintenance), then started again.

Meanwhile RDAP must answer 503 with Retry-After and WHOIS its "temporarily
unavailable" line -- promptly, not after connect timeouts -- and ``/ready`` on the
internal port must fail so balancers take the instance out. When the standbys are
back, answers and readiness return by themselves.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp

from tests.faults.census import assert_no_leak
from tests.faults.conftest import (
    HEALTHY_SECONDS,
    HOLD_SECONDS,
    RECOVERY_SECONDS,
    ROUNDS,
    WARM_SECONDS,
    Cluster,
    Launcher,
    Service,
    assert_logs_clean,
    settled,
    settled_sessions,
    until,
)
from tests.faults.load import HANG_SECONDS, Load, figure, public_probes, worst, wrong


async def _readiness(services: tuple[Service, ...]) -> list[int]:
    return [(await service.internal("/ready"))[0] for service in services]


async def test_with_every_standby_stopped_both_services_refuse_then_recover(
    cluster: Cluster, launch: Launcher, secrets: frozenset[str]
) -> None:
    fallback = {"DATABASE_FALLBACK_DSNS": cluster.reader_dsn(1)}
    services = rdap, whois = await asyncio.gather(
        launch("rdap", **fallback), launch("whois", **fallback))
    timeout = aiohttp.ClientTimeout(total=HANG_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load = Load(session, secrets)
        probes = [*public_probes(load, "rdap", rdap=rdap.url),
                  *public_probes(load, "whois", whois=whois.port)]
        await load.learn(probes)
        async with load.running(probes):
            await asyncio.sleep(WARM_SECONDS)
    before = await settled(*services)
    assert await _readiness(services) == [200, 200]
    sessions_before = [await cluster.connections(i) for i in (0, 1)]

    unready, recoveries, outages = [], [], []
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load.session = session
        async with load.running(probes):
            for _ in range(ROUNDS):
                await asyncio.sleep(0.2)
                down = time.monotonic()
                for standby in cluster.standbys:
                    await asyncio.to_thread(standby.stop)

                async def not_ready() -> bool:
                    return await _readiness(services) == [503, 503]

                unready.append(await until(not_ready, RECOVERY_SECONDS))
                await asyncio.sleep(HOLD_SECONDS)
                for standby in cluster.standbys:
                    await asyncio.to_thread(standby.start)
                up = time.monotonic()
                outages.append((down, up))
                recoveries.append(max([await load.recovered(label, since=up,
                                                            within=RECOVERY_SECONDS)
                                       for label in ("rdap", "whois")]))

                async def ready() -> bool:
                    return await _readiness(services) == [200, 200]

                await until(ready, RECOVERY_SECONDS)
            await asyncio.sleep(0.2)
    after = await settled(*services)
    sessions_after = await settled_sessions(cluster, after)

    refused = [o for o in load.outcomes if o.kind == "unavailable"]
    figure("all standbys stopped", load.outcomes, [o for o in load.outcomes if o.kind == "ok"],
           worst_refusal=f"{worst(refused) * 1000:.0f} ms",
           unready_after=f"{max(unready):.2f} s", recovered_after=f"{max(recoveries):.2f} s",
           descriptors=f"{before[0]}+{before[1]} -> {after[0]}+{after[1]}",
           standby_sessions=f"{sessions_before} -> {sessions_after}")
    assert wrong(load.outcomes) == []
    assert {o.label for o in refused} == {"rdap", "whois"}
    # Refused only while the standbys were down (the last ones may start just before).
    assert all(any(down <= o.started + o.seconds and o.started <= up for down, up in outages)
               for o in refused)
    # Prompt: a stopped standby refuses connections, so nothing waits for a timeout.
    assert worst(load.outcomes) < HEALTHY_SECONDS
    for old, new in zip(before, after, strict=True):
        assert_no_leak(old, new)
        assert new.peers == old.peers, (old.peers, new.peers)
    assert sessions_after == sessions_before
    assert_logs_clean(services, secrets)
