"""Entry point of ``whois-coop serve`` and ``python -m whois_coop``.

Loads the settings from ``RDAP_COOP_*`` variables, opens the replica pool,
serves port 43 until SIGINT/SIGTERM, then stops accepting, lets in-flight
replies finish within the grace period and closes the pool.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence

from rdap_coop.core.access import build_access_control
from rdap_coop.core.config import ConfigError, Settings
from rdap_coop.core.db import close_pool, open_pool
from rdap_coop.core.lifecycle import wait_for_stop_signal
from rdap_coop.core.metrics import Metrics, serve_metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from whois_coop.server import WhoisServer


async def serve(settings: Settings) -> None:
    pool = await open_pool(settings.database)
    registry = Registry(pool, acquire_timeout_seconds=settings.database.acquire_timeout_seconds)
    limits = build_rate_limiter(settings.rate_limit)
    access = build_access_control(settings.access)
    metrics = Metrics()
    metrics.watch_store(lambda: limits.degraded)
    server = WhoisServer(
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
    try:
        await server.start()
        logging.getLogger("whois_coop").info(
            "WHOIS listening on %s port %s", ",".join(settings.whois.hosts), server.ports
        )
        await wait_for_stop_signal()
    finally:
        await server.stop()
        await limits.close()
        await close_pool(pool)
        if exposition is not None:
            exposition.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="whois-coop", description="The .coop port-43 server.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve WHOIS; settings from RDAP_COOP_* variables")
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        asyncio.run(serve(Settings.from_env(os.environ)))
    except ConfigError as error:
        print(f"whois-coop: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
