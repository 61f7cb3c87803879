"""Running RDAP until SIGTERM: ``rdap-coop serve``, and the demo with WHOIS beside it.

The demo runs RDAP and WHOIS in one process over the same runtime (pool, limiter,
quota, clients and audit log); see ``rdap_coop.core.runtime``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from aiohttp import web

from rdap_coop.app import create_app, server_options
from rdap_coop.core.config import Settings
from rdap_coop.core.lifecycle import run, wait_for_stop_signal
from rdap_coop.core.logs import configure_logging
from rdap_coop.core.runtime import open_runtime
from rdap_coop.core.workers import supervise
from rdap_coop.http_server import RdapAppRunner
from whois_coop.server import WhoisServer

log = logging.getLogger(__name__)


async def serve_until_stopped(
    settings: Settings, banner: Sequence[str] = (), *, with_whois: bool = False
) -> None:
    """Serve RDAP (and, for the demo, WHOIS over the same parts) until SIGINT/SIGTERM."""
    runtime = await open_runtime(settings)
    app = create_app(
        settings, runtime.registry, runtime.limits, runtime.metrics, runtime.access
    )
    runner = RdapAppRunner(app, access_log=None, **server_options(settings))
    whois = WhoisServer(
        runtime.registry,
        settings.whois,
        runtime.limits,
        ipv6_prefix=settings.rate_limit.ipv6_prefix,
        metrics=runtime.metrics,
        access=runtime.access,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.rdap.host, settings.rdap.port,
                           reuse_port=settings.workers > 1)
        await site.start()
        if with_whois:
            await whois.start()
        for line in banner:
            print(line, flush=True)
        await wait_for_stop_signal()
    finally:
        await whois.stop()
        await runner.cleanup()
        await runtime.close()


def serve_worker(settings: Settings) -> None:
    """One RDAP worker process under ``rdap-coop serve --workers N`` (see core/workers.py)."""
    configure_logging(settings.logging)
    with contextlib.suppress(KeyboardInterrupt):
        run(serve_until_stopped(settings))


def serve(settings: Settings) -> int:
    """``rdap-coop serve``: one process, or a supervisor of ``settings.workers``."""
    if settings.workers > 1:
        return supervise(settings, serve_worker)
    run(serve_until_stopped(settings))
    return 0
