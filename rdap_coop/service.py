"""Running the services: one pool, one limiter, one audit trail, until SIGTERM.

``rdap-coop serve`` runs RDAP; the demo runs RDAP and WHOIS in one process over the
same pool, limiter, quota, clients and audit log. SIGHUP re-reads the clients file;
a broken file is logged and the previous clients stay in force.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence

from aiohttp import web

from rdap_coop.app import create_app, server_options
from rdap_coop.core.access import build_access_control
from rdap_coop.core.config import Settings
from rdap_coop.core.db import close_pool, open_pool
from rdap_coop.core.lifecycle import wait_for_stop_signal
from rdap_coop.core.metrics import Metrics, serve_metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from whois_coop.server import WhoisServer

log = logging.getLogger(__name__)


async def serve_until_stopped(
    settings: Settings, banner: Sequence[str] = (), *, with_whois: bool = False
) -> None:
    """Serve RDAP (and, for the demo, WHOIS over the same pool) until SIGINT/SIGTERM."""
    pool = await open_pool(settings.database)
    registry = Registry(pool, acquire_timeout_seconds=settings.database.acquire_timeout_seconds)
    # One limiter for both front ends: a client's RDAP and WHOIS queries share a budget.
    limits = build_rate_limiter(settings.rate_limit)
    access = build_access_control(settings.access)
    metrics = Metrics()
    metrics.watch_store(lambda: limits.degraded)
    runner = web.AppRunner(
        create_app(settings, registry, limits, metrics, access),
        access_log=None,
        **server_options(settings),
    )
    whois = WhoisServer(
        registry,
        settings.whois,
        limits,
        ipv6_prefix=settings.rate_limit.ipv6_prefix,
        metrics=metrics,
        access=access,
    )
    exposition = None
    if settings.metrics.port:
        exposition = serve_metrics(metrics, settings.metrics.host, settings.metrics.port)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, access.reload)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.rdap.host, settings.rdap.port)
        await site.start()
        if with_whois:
            await whois.start()
        for line in banner:
            print(line, flush=True)
        await wait_for_stop_signal()
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        await whois.stop()
        await runner.cleanup()
        await limits.close()
        await close_pool(pool)
        if exposition is not None:
            with contextlib.suppress(OSError):
                exposition.stop()
