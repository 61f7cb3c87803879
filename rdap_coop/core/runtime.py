"""What a serving process holds for its lifetime, built once and closed in order.

Both entry points (``rdap-coop serve``/``demo`` and ``whois-coop serve``) run over the
same parts: the replica pool, the rate limiter and quota, the accredited clients and
audit log, the metrics and their internal listener. SIGHUP re-reads the clients file.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass

from rdap_coop.core.access import AccessControl, build_access_control
from rdap_coop.core.cache import LookupCache
from rdap_coop.core.config import Settings
from rdap_coop.core.internal_http import InternalEndpoints, serve_internal
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle, build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from rdap_coop.core.usage import UsageLedger


@dataclass(slots=True)
class Runtime:
    replicas: ReplicaSet
    registry: Registry
    limits: LimiterHandle
    access: AccessControl
    metrics: Metrics
    internal: asyncio.Server | None
    sampler: asyncio.Task[None]
    checker: asyncio.Task[None]
    # Monthly query counts for ``rdap-coop report monthly`` (RDAP_COOP_USAGE_DIR).
    usage: asyncio.Task[None] | None = None

    async def close(self) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        # First, with the front ends already stopped: the last flush books every answer.
        if self.usage is not None:
            self.usage.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.usage
        self.sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.sampler
        self.checker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.checker
        await self.limits.close()
        await self.replicas.close()
        if self.internal is not None:
            self.internal.close()
            await self.internal.wait_closed()


async def open_runtime(settings: Settings) -> Runtime:
    metrics = Metrics(settings.metrics.multiprocess_dir)
    # Made before anything is served: a ledger counts from its creation on.
    usage_dir = settings.metrics.usage_dir
    ledger = None if usage_dir is None else UsageLedger(metrics, usage_dir)
    replicas = await ReplicaSet.open(settings.database, metrics.database)
    cache: LookupCache[object] = LookupCache(
        ttl_seconds=settings.database.cache_ttl_seconds,
        max_entries=settings.database.cache_max_entries,
    )
    registry = Registry(replicas, cache=cache)
    # One limiter for both front ends: a client's RDAP and WHOIS queries share a budget.
    limits = build_rate_limiter(settings.rate_limit)
    access = build_access_control(settings.access)
    metrics.watch_store(lambda: limits.degraded)
    internal = None
    if settings.metrics.port:
        # Under several workers each binds the port; any of them answers for all.
        internal = await serve_internal(
            InternalEndpoints(metrics.exposition, replicas.readiness),
            settings.metrics.host, settings.metrics.port, reuse_port=settings.workers > 1,
        )
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, access.reload)
    sampler = asyncio.create_task(_sample_gauges(metrics), name="metrics-sampler")
    checker = asyncio.create_task(replicas.keep_checking(), name="replica-checker")
    usage = None if ledger is None else asyncio.create_task(ledger.run(), name="usage-ledger")
    return Runtime(
        replicas, registry, limits, access, metrics, internal, sampler, checker, usage
    )


async def _sample_gauges(metrics: Metrics, period_seconds: float = 1.0) -> None:
    while True:
        metrics.refresh()
        await asyncio.sleep(period_seconds)
