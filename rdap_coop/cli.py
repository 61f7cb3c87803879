"""The ``rdap-coop`` command: ``demo``, ``serve`` and ``sample load``.

This is an entry point, so it is the one place (besides ``Settings.from_env``) that
touches the process environment, and it owns the lifetime of everything it starts:
the embedded Postgres of the demo, the database pool and the HTTP listener.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

import asyncpg
from aiohttp import web

from rdap_coop.app import create_app, server_options
from rdap_coop.core.config import ConfigError, Settings
from rdap_coop.core.db import close_pool, open_pool
from rdap_coop.core.lifecycle import wait_for_stop_signal
from rdap_coop.core.metrics import Metrics, serve_metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from rdap_coop.embedded_postgres import embedded_postgres
from rdap_coop.sample import SHOWCASE, load_sample_registry
from whois_coop.server import WhoisServer

log = logging.getLogger("rdap_coop")

DEMO_DATABASE = "coop"
READER_ROLE = "rdap_coop_reader"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rdap-coop", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="serve a sample .coop registry on an embedded Postgres")
    demo.add_argument("--rdap-port", type=int, default=8080)
    demo.add_argument("--whois-port", type=int, default=4343)
    demo.add_argument("--metrics-port", type=int, default=9108,
                      help="internal Prometheus port (0: off)")
    demo.add_argument("--domains", type=int, default=10_000)
    demo.add_argument("--seed", type=int, default=2026)

    commands.add_parser("serve", help="serve RDAP; settings from RDAP_COOP_* variables")

    sample = commands.add_parser("sample", help="sample registry tools")
    sample_commands = sample.add_subparsers(dest="sample_command", required=True)
    load = sample_commands.add_parser("load", help="create the schema and load a sample registry")
    load.add_argument("--dsn", required=True, help="owner DSN of an empty database")
    load.add_argument("--domains", type=int, default=10_000)
    load.add_argument("--seed", type=int, default=2026)
    return parser


async def _serve_until_stopped(
    settings: Settings, banner: Sequence[str] = (), *, with_whois: bool = False
) -> None:
    """Serve RDAP (and, for the demo, WHOIS over the same pool) until SIGINT/SIGTERM."""
    pool = await open_pool(settings.database)
    registry = Registry(pool, acquire_timeout_seconds=settings.database.acquire_timeout_seconds)
    # One limiter for both front ends: a client's RDAP and WHOIS queries share a budget.
    limits = build_rate_limiter(settings.rate_limit)
    metrics = Metrics()
    metrics.watch_store(lambda: limits.degraded)
    runner = web.AppRunner(
        create_app(settings, registry, limits, metrics),
        access_log=None,
        **server_options(settings),
    )
    whois = WhoisServer(
        registry,
        settings.whois,
        limits,
        ipv6_prefix=settings.rate_limit.ipv6_prefix,
        metrics=metrics,
    )
    exposition = None
    if settings.metrics.port:
        exposition = serve_metrics(metrics, settings.metrics.host, settings.metrics.port)
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
        await whois.stop()
        await runner.cleanup()
        await limits.close()
        await close_pool(pool)
        if exposition is not None:
            exposition.stop()


def _demo_banner(base_url: str, args: argparse.Namespace, domains: int) -> list[str]:
    lines = [
        f"rdap-coop demo: a sample .coop registry of {domains:,} domains",
        f"WHOIS (port 43 protocol): whois -h 127.0.0.1 -p {args.whois_port} example.coop",
        f"RDAP base URL: {base_url}",
        f"  help:       {base_url}help",
        f"  registrar:  {base_url}entity/1234",
        f"  nameserver: {base_url}nameserver/ns1.example.coop",
        "Showcase names (try them at " + base_url + "domain/<name>):",
    ]
    lines += [f"  {name:<22} {about}" for name, about in SHOWCASE.items()]
    if args.metrics_port:
        lines.append(f"Metrics (Prometheus): http://127.0.0.1:{args.metrics_port}/metrics")
    lines.append("Press Ctrl-C to stop; the temporary database is removed.")
    return lines


async def _run_demo(args: argparse.Namespace) -> None:
    with embedded_postgres() as server:
        await _create_database(server.dsn(), DEMO_DATABASE)
        report = await load_sample_registry(
            server.dsn(DEMO_DATABASE), domains=args.domains, seed=args.seed
        )
        base_url = f"http://127.0.0.1:{args.rdap_port}/"
        env = {
            "RDAP_COOP_DATABASE_DSN": server.dsn(DEMO_DATABASE, user=READER_ROLE),
            "RDAP_COOP_RDAP_PORT": str(args.rdap_port),
            "RDAP_COOP_RDAP_BASE_URL": base_url,
            "RDAP_COOP_WHOIS_PORT": str(args.whois_port),
            "RDAP_COOP_METRICS_PORT": str(args.metrics_port),
        }
        settings = Settings.from_env(env)
        banner = [f"Loaded {report.domains:,} domains in {report.seconds:.1f} s."]
        banner += _demo_banner(base_url, args, report.domains)
        await _serve_until_stopped(settings, banner, with_whois=True)


async def _create_database(admin_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        # An identifier cannot be a bind parameter; ``name`` is our own constant.
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _run_sample_load(args: argparse.Namespace) -> None:
    report = await load_sample_registry(args.dsn, domains=args.domains, seed=args.seed)
    print(
        f"loaded {report.domains:,} domains, {report.contacts:,} contacts, "
        f"{report.hosts:,} hosts, {report.registrars} registrars in {report.seconds:.1f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        if args.command == "demo":
            asyncio.run(_run_demo(args))
        elif args.command == "serve":
            asyncio.run(_serve_until_stopped(Settings.from_env(os.environ)))
        else:
            asyncio.run(_run_sample_load(args))
    except ConfigError as error:
        print(f"rdap-coop: configuration error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
