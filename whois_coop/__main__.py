"""Entry point of ``whois-coop serve`` and ``python -m whois_coop``.

Loads the settings from ``RDAP_COOP_*`` variables over the TOML file of
``--config`` or ``RDAP_COOP_CONFIG_FILE``, opens the replica pool,
serves port 43 until SIGINT/SIGTERM, then stops accepting, lets in-flight
replies finish within the grace period and closes the pool.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from rdap_coop.core.config import ConfigError, Settings, load_configuration
from rdap_coop.core.lifecycle import run, wait_for_stop_signal
from rdap_coop.core.logs import announce_configuration, configure_logging
from rdap_coop.core.runtime import open_runtime
from rdap_coop.core.workers import supervise
from whois_coop.server import WhoisServer


async def serve(settings: Settings) -> None:
    runtime = await open_runtime(settings)
    server = WhoisServer(
        runtime.registry,
        settings.whois,
        runtime.limits,
        ipv6_prefix=settings.rate_limit.ipv6_prefix,
        metrics=runtime.metrics,
        access=runtime.access,
    )
    try:
        await server.start(reuse_port=settings.workers > 1)
        logging.getLogger("whois_coop").info(
            "WHOIS listening on %s port %s", ",".join(settings.whois.hosts), server.ports
        )
        await wait_for_stop_signal()
    finally:
        await server.stop()
        await runtime.close()


def serve_worker(settings: Settings) -> None:
    """One WHOIS worker process under ``whois-coop serve --workers N``."""
    configure_logging(settings.logging)
    with contextlib.suppress(KeyboardInterrupt):
        run(serve(settings))


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """``env`` stands in for the process environment (tests pass their own)."""
    parser = argparse.ArgumentParser(prog="whois-coop", description="The .coop port-43 server.")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser(
        "serve", help="serve WHOIS; settings from RDAP_COOP_* variables over a TOML file"
    )
    command.add_argument("--metrics-port", type=int, default=None,
                         help="internal port for /metrics, /health, /ready (0: off)")
    command.add_argument("--workers", type=int, default=None,
                         help="processes sharing the port (default: RDAP_COOP_WORKERS or 1)")
    command.add_argument("--config", type=Path, metavar="PATH",
                         help="TOML configuration file (default: RDAP_COOP_CONFIG_FILE);"
                         " RDAP_COOP_* variables override it")
    args = parser.parse_args(argv)
    try:
        configuration = load_configuration(os.environ if env is None else env, args.config)
        settings = configuration.settings.with_workers(args.workers).with_metrics_port(
            args.metrics_port)
        # Its own application_name, so operators tell its sessions apart on the replica.
        settings = replace(settings, database=replace(settings.database,
                                                      application_name="whois-coop"))
        configure_logging(settings.logging)
        announce_configuration(configuration)
        if settings.workers > 1:
            return supervise(settings, serve_worker)
        run(serve(settings))
    except ConfigError as error:
        print(f"whois-coop: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
