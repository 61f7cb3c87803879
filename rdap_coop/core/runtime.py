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
from rdap_coop.core.db import Pool, close_pool, open_pool
from rdap_coop.core.metrics import Metrics, MetricsServer, serve_metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle, build_rate_limiter


@dataclass(slots=True)
class Runtime:
    pool: Pool
    registry: Registry
    limits: LimiterHandle
    access: AccessControl
    metrics: Metrics
    exposition: MetricsServer | None
    sampler: asyncio.Task[None]

    async def close(self) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        self.sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.sampler
        await self.limits.close()
        await close_pool(self.pool)
        if self.exposition is not None:
            with contextlib.suppress(OSError):
                self.exposition.stop()


async def open_runtime(settings: Settings) -> Runtime:
    pool = await open_pool(settings.database)
    cache: LookupCache[object] = LookupCache(
        ttl_seconds=settings.database.cache_ttl_seconds,
        max_entries=settings.database.cache_max_entries,
    )
    registry = Registry(
        pool,
        acquire_timeout_seconds=settings.database.acquire_timeout_seconds,
        cache=cache,
    )
    # One limiter for both front ends: a client's RDAP and WHOIS queries share a budget.
    limits = build_rate_limiter(settings.rate_limit)
    access = build_access_control(settings.access)
    metrics = Metrics()
    metrics.watch_store(lambda: limits.degraded)
    exposition = None
    # Under several workers the supervisor exposes every worker's metrics instead.
    if settings.metrics.port and settings.workers == 1:
        exposition = serve_metrics(metrics, settings.metrics.host, settings.metrics.port)
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, access.reload)
    sampler = asyncio.create_task(_sample_gauges(metrics), name="metrics-sampler")
    return Runtime(pool, registry, limits, access, metrics, exposition, sampler)


async def _sample_gauges(metrics: Metrics, period_seconds: float = 1.0) -> None:
    while True:
        metrics.refresh()
        await asyncio.sleep(period_seconds)
