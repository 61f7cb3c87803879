"""``rdap-coop demo``: the whole product on a laptop, with nothing installed.

An embedded Postgres loaded with the sample registry, RDAP and WHOIS over it, and --
unless a clients file is given -- one accredited demo client per tier, whose tokens
are printed so a newcomer can try each view with curl. Everything temporary is
removed on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from rdap_coop.core.clients_file import add_client
from rdap_coop.core.config import Settings
from rdap_coop.core.redaction import AccessTier
from rdap_coop.embedded_postgres import embedded_postgres
from rdap_coop.sample import SHOWCASE, SHOWCASE_REGISTRAR_ID, load_sample_registry
from rdap_coop.service import serve_until_stopped

DEMO_DATABASE = "coop"
READER_ROLE = "rdap_coop_reader"
DEMO_CLIENTS = (
    (AccessTier.REGISTRAR, "Cooperative Names Registrar Ltd (demo)", SHOWCASE_REGISTRAR_ID),
    (AccessTier.UDRP_PROVIDER, "WIPO Arbitration and Mediation Center (demo)", None),
    (AccessTier.LAW_ENFORCEMENT, "Example Police Cyber Unit (demo)", None),
)


def demo_clients(directory: Path, base_url: str) -> tuple[Path, list[str]]:
    """A clients file with one demo client per tier, and banner lines with their tokens."""
    path = directory / "clients.toml"
    lines = ["Demo clients (bearer tokens; try them on domain/disputed.coop):"]
    for tier, organisation, registrar_id in DEMO_CLIENTS:
        _, token = add_client(
            path, tier=tier, organisation=organisation, registrar_id=registrar_id,
            now=datetime.now(UTC),
        )
        lines.append(f"  {tier.value:<16} {token}")
    base = f"curl -H 'Authorization: Bearer <token>' {base_url}domain/disputed.coop"
    lines.append(f"  e.g. {base}")
    lines.append("  law enforcement adds ?roidc1_qp=criminalInvestigationAndDNSAbuse")
    return path, lines


def demo_banner(base_url: str, args: argparse.Namespace, domains: int) -> list[str]:
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
        internal = f"http://127.0.0.1:{args.metrics_port}"
        lines.append(f"Metrics (Prometheus): {internal}/metrics  (health: {internal}/health, "
                     f"readiness: {internal}/ready)")
    lines.append("Press Ctrl-C to stop; the temporary database is removed.")
    return lines


async def create_database(admin_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        # An identifier cannot be a bind parameter; ``name`` is our own constant.
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def run_demo(args: argparse.Namespace, environment: Mapping[str, str]) -> None:
    """``environment``'s RDAP_COOP_* settings apply too (limits, cache, ...), except
    the database, ports, base URL, clients and audit log, which the demo sets."""
    with embedded_postgres() as server, tempfile.TemporaryDirectory() as scratch:
        await create_database(server.dsn(), DEMO_DATABASE)
        report = await load_sample_registry(
            server.dsn(DEMO_DATABASE), domains=args.domains, seed=args.seed
        )
        base_url = f"http://127.0.0.1:{args.rdap_port}/"
        access_lines: list[str] = []
        clients_file = args.clients
        if clients_file is None:
            clients_file, access_lines = demo_clients(Path(scratch), base_url)
        audit_log = args.audit_log or Path(scratch) / "audit.jsonl"
        access_lines.append(f"Audit log of disclosures: {audit_log}")
        env = {key: value for key, value in environment.items() if key.startswith("RDAP_COOP_")}
        env |= {
            "RDAP_COOP_DATABASE_DSN": server.dsn(DEMO_DATABASE, user=READER_ROLE),
            "RDAP_COOP_RDAP_PORT": str(args.rdap_port),
            "RDAP_COOP_RDAP_BASE_URL": base_url,
            "RDAP_COOP_WHOIS_PORT": str(args.whois_port),
            "RDAP_COOP_METRICS_PORT": str(args.metrics_port),
            "RDAP_COOP_CLIENTS_FILE": str(clients_file),
            "RDAP_COOP_AUDIT_LOG": str(audit_log),
        }
        settings = Settings.from_env(env)
        banner = [f"Loaded {report.domains:,} domains in {report.seconds:.1f} s."]
        banner += demo_banner(base_url, args, report.domains) + access_lines
        heartbeat = asyncio.create_task(stamp_freshness(server.dsn(DEMO_DATABASE)))
        try:
            await serve_until_stopped(settings, banner, with_whois=True)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat


HEARTBEAT_SECONDS = 30.0


async def stamp_freshness(owner_dsn: str) -> None:
    """Play the registry's part: stamp its last-change time now and then, as a registry
    primary does with every change and as a heartbeat, so the demo's "last update of
    RDAP database" moves and its readiness (data fresher than the threshold) holds."""
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            connection = await asyncpg.connect(owner_dsn)
            try:
                await connection.execute(STAMP_FRESHNESS)
            finally:
                await connection.close()
        await asyncio.sleep(HEARTBEAT_SECONDS)


STAMP_FRESHNESS = "UPDATE registry_state SET last_change_at = now()"
