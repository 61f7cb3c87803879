"""The ``rdap-coop`` command: ``demo``, ``serve``, ``config check``, ``report monthly``,
``sample load``, ``clients add``, ``audit verify``.

An entry point, so it is the one place (besides ``Settings.from_env``) that touches
the process environment.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from rdap_coop.core.audit import verify_audit_log
from rdap_coop.core.clients import ClientsFileError
from rdap_coop.core.clients_file import add_client
from rdap_coop.core.config import (
    ConfigError,
    Configuration,
    load_configuration,
    logging_settings,
)
from rdap_coop.core.config_file import CONFIG_FILE_VARIABLE
from rdap_coop.core.lifecycle import run
from rdap_coop.core.logs import announce_configuration, configure_logging
from rdap_coop.core.redaction import AccessTier
from rdap_coop.demo import run_demo
from rdap_coop.report import add_report_parser, run_report
from rdap_coop.sample import load_sample_registry
from rdap_coop.service import serve

ACCREDITED_TIERS = [tier.value for tier in AccessTier if tier is not AccessTier.PUBLIC]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rdap-coop", description="The .coop RDAP service.")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="serve a sample .coop registry on an embedded Postgres")
    demo.add_argument("--rdap-port", type=int, default=8080)
    demo.add_argument("--whois-port", type=int, default=4343)
    demo.add_argument("--metrics-port", type=int, default=9108,
                      help="internal Prometheus port (0: off)")
    demo.add_argument("--domains", type=int, default=10_000)
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--clients", type=Path, help="clients file (default: one demo client a tier)")
    demo.add_argument("--audit-log", type=Path, help="audit log (default: a temporary file)")

    serve = commands.add_parser(
        "serve", help="serve RDAP; settings from RDAP_COOP_* variables over a TOML file"
    )
    serve.add_argument("--metrics-port", type=int, default=None,
                       help="internal port for /metrics, /health, /ready (0: off)")
    serve.add_argument("--workers", type=int, default=None,
                       help="processes sharing the port (default: RDAP_COOP_WORKERS or 1)")
    _config_option(serve)

    config = commands.add_parser("config", help="the service's configuration")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser(
        "check", help="validate and print the effective settings (secrets masked); exit 0 if valid"
    )
    _config_option(check)

    sample = commands.add_parser("sample", help="sample registry tools")
    sample_commands = sample.add_subparsers(dest="sample_command", required=True)
    load = sample_commands.add_parser("load", help="create the schema and load a sample registry")
    load.add_argument("--dsn", required=True, help="owner DSN of an empty database")
    load.add_argument("--domains", type=int, default=10_000)
    load.add_argument("--seed", type=int, default=2026)

    clients = commands.add_parser("clients", help="accredited clients")
    clients_commands = clients.add_subparsers(dest="clients_command", required=True)
    add = clients_commands.add_parser("add", help="accredit a client; prints its token once")
    add.add_argument("--file", type=Path, required=True)
    add.add_argument("--tier", choices=ACCREDITED_TIERS, required=True)
    add.add_argument("--organisation", required=True)
    add.add_argument("--registrar", type=int, help="IANA Registrar ID (tier registrar)")
    add.add_argument("--network", action="append", default=[],
                     help="address range the client must come from (repeatable)")

    audit = commands.add_parser("audit", help="the audit log of disclosures")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="check the hash chain; exit 0 only if intact")
    verify.add_argument("file", type=Path)
    add_report_parser(commands)
    return parser


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="PATH",
                        help=f"TOML configuration file (default: {CONFIG_FILE_VARIABLE});"
                        " RDAP_COOP_* variables override it")


def describe(configuration: Configuration) -> list[str]:
    """``config check``'s report: one setting a line with its value and its source, then
    the warnings. Values come masked from the reader: no password or secret in clear."""
    source = configuration.file or f"no file ({CONFIG_FILE_VARIABLE} and --config unset)"
    lines = [f"# settings from {source} and RDAP_COOP_* variables (which win)"]
    width = max(len(setting.key) for setting in configuration.effective)
    lines += [
        f"{setting.key:<{width}} = {setting.value}  # {setting.origin}"
        for setting in configuration.effective
    ]
    lines += [f"warning: {warning}" for warning in configuration.warnings]
    warnings = len(configuration.warnings)
    lines.append(f"# configuration valid, {warnings} warning{'' if warnings == 1 else 's'}")
    return lines


def _config_check(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    for line in describe(load_configuration(env, args.config)):
        print(line)
    return 0


def _serve(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    configuration = load_configuration(env, args.config)
    settings = configuration.settings.with_workers(args.workers).with_metrics_port(
        args.metrics_port)
    configure_logging(settings.logging)
    announce_configuration(configuration)
    return serve(settings)


def _clients_add(args: argparse.Namespace) -> int:
    try:
        networks = [ipaddress.ip_network(text) for text in args.network]
    except ValueError:
        print("rdap-coop: --network must be an address range like 192.0.2.0/24", file=sys.stderr)
        return 2
    client, token = add_client(
        args.file,
        tier=AccessTier(args.tier),
        organisation=args.organisation,
        registrar_id=args.registrar,
        networks=networks,
        now=datetime.now(UTC),
    )
    print(f"accredited {client.client_id} ({client.tier.value}) in {args.file}")
    print("the bearer token follows; it is shown once and stored only as a hash:")
    print(token)
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    report = verify_audit_log(args.file)
    for problem in report.problems:
        print(problem)
    state = "intact" if report.ok else "BROKEN"
    print(f"{report.records} records, chain {state}; last hash {report.last_hash}")
    return 0 if report.ok else 1


async def _run_sample_load(args: argparse.Namespace) -> None:
    report = await load_sample_registry(args.dsn, domains=args.domains, seed=args.seed)
    print(
        f"loaded {report.domains:,} domains, {report.contacts:,} contacts, "
        f"{report.hosts:,} hosts, {report.registrars} registrars in {report.seconds:.1f} s"
    )


def _dispatch(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.command == "clients":
        return _clients_add(args)
    if args.command == "audit":
        return _audit_verify(args)
    if args.command == "report":
        return run_report(args, env)
    if args.command == "config":
        return _config_check(args, env)
    if args.command == "serve":
        return _serve(args, env)
    configure_logging(logging_settings(env))
    if args.command == "demo":
        run(run_demo(args, env))
    else:
        run(_run_sample_load(args))
    return 0


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """``env`` stands in for the process environment (tests pass their own)."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args, os.environ if env is None else env)
    except (ConfigError, ClientsFileError) as error:
        print(f"rdap-coop: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
