"""``rdap-coop report monthly``: our figures for ICANN's monthly activity report.

Registry Agreement Specification 3 §2 (Registry Functions Activity Report, the
``<tld>-activity-<yyyymm>.csv`` file) has these registration-data fields:

- ``whois-43-queries``: WHOIS (port-43) queries responded during the month;
- ``web-whois-queries``: web-based WHOIS queries responded, not including searchable
  WHOIS;
- ``searchable-whois-queries``: searchable WHOIS queries responded, if offered;
- ``rdap-queries``: RDAP queries responded, the field the 2023 RDAP amendments
  appended to the activity report.

They are summed from every process's usage ledger (core/usage.py). What counts as a
query *responded*: one answered with the object asked for or an authoritative "not
found". Malformed or unauthorised requests (``invalid``), refusals of a rate limit
(``rate_limited``) and requests we failed to answer (``unavailable``, ``error``) are
not queries responded; nor, on the RDAP side, loads of the lookup page, its assets or
unknown paths (query kind ``other``). The text output shows what was left out.

``searchable-whois-queries`` is 0: the field counts searchable WHOIS "if offered", none
is (RDAP searches are RDAP queries), and registries offering none report 0 there.
``web-whois-queries`` is left out: no web WHOIS is served here (the lookup page asks
RDAP, so its lookups are in ``rdap-queries``), and a web WHOIS run elsewhere would be
counted there.

The ledger directory is ``--usage-dir``, else ``RDAP_COOP_USAGE_DIR`` (the variable
the servers write to); one of them is required.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from rdap_coop.core.config import PREFIX
from rdap_coop.core.usage import MONTH, Labels, UsageReading, month_of, read_usage

USAGE_DIR_VARIABLE = f"{PREFIX}USAGE_DIR"
ANSWERED = frozenset({"ok", "not_found"})
# RDAP requests that are not RDAP queries: the lookup page, its assets, unknown paths.
NOT_A_QUERY_KIND = "other"
LEFT_OUT = ("invalid", "rate-limited", "unavailable or failed", "not a query")


@dataclass(frozen=True, slots=True)
class MonthlyFigures:
    """The month's report fields, in the activity report's column order."""

    month: str
    fields: tuple[tuple[str, int], ...]
    left_out: dict[str, int]


def add_report_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser("report", help="reports owed to ICANN")
    reports = report.add_subparsers(dest="report_command", required=True)
    monthly = reports.add_parser(
        "monthly",
        help="RDAP and WHOIS query counts for the monthly Registry Functions Activity Report",
    )
    monthly.add_argument("--month", type=_month_argument,
                         help="YYYY-MM, UTC (default: the previous month)")
    monthly.add_argument("--usage-dir", type=Path,
                         help=f"the usage ledgers' directory (default: {USAGE_DIR_VARIABLE})")
    monthly.add_argument("--format", choices=("text", "csv"), default="text")


def run_report(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Print the month's figures. Exit status 0; 1 when a ledger was skipped or none
    was found (the figures are then incomplete); 2 when no directory can be read."""
    directory = args.usage_dir or usage_dir_from_env(env)
    if directory is None:
        return _fail(f"give --usage-dir or set {USAGE_DIR_VARIABLE}")
    try:
        reading = read_usage(directory)
    except OSError as error:
        return _fail(f"cannot read the usage directory {directory}: {error.strerror or error}")
    now = datetime.now(UTC)
    month = args.month or previous_month(now)
    figures = monthly_figures(reading, month)
    if args.format == "csv":
        print(render_csv(figures), end="")
    else:
        print(render_text(figures, reading.files, directory), end="")
    return _warn(reading, month, now, sys.stderr)


def usage_dir_from_env(env: Mapping[str, str]) -> Path | None:
    """``RDAP_COOP_USAGE_DIR`` read as Settings.from_env reads it (blank is unset),
    without the rest of the settings: the report needs no database."""
    value = env.get(USAGE_DIR_VARIABLE, "").strip()
    return Path(value) if value else None


def previous_month(now: datetime) -> str:
    first_of_month = now.astimezone(UTC).replace(day=1)
    return month_of(first_of_month - timedelta(days=1))


def monthly_figures(reading: UsageReading, month: str) -> MonthlyFigures:
    counts = reading.month(month)
    left_out: Counter[str] = Counter({reason: 0 for reason in LEFT_OUT})
    answered: Counter[str] = Counter()
    for labels, count in counts.items():
        reason = _left_out_because(labels)
        if reason is None:
            answered[labels[0]] += count
        else:
            left_out[reason] += count
    fields = (
        ("whois-43-queries", answered["whois"]),
        ("searchable-whois-queries", 0),
        ("rdap-queries", answered["rdap"]),
    )
    return MonthlyFigures(month, fields, dict(left_out))


def _left_out_because(labels: Labels) -> str | None:
    service, kind, outcome = labels
    if service == "rdap" and kind == NOT_A_QUERY_KIND:
        return "not a query"
    if outcome in ANSWERED:
        return None
    if outcome == "invalid":
        return "invalid"
    return "rate-limited" if outcome == "rate_limited" else "unavailable or failed"


def render_csv(figures: MonthlyFigures) -> str:
    """``field,value`` lines, to paste into the month's activity report."""
    return "".join(f"{name},{value}\n" for name, value in figures.fields)


def render_text(figures: MonthlyFigures, files: int, directory: Path) -> str:
    width = max(len(name) for name, _ in figures.fields)
    digits = max(len(str(value)) for _, value in figures.fields)
    rows = [f"  {name:<{width}}  {value:>{digits}}" for name, value in figures.fields]
    left_out = ", ".join(
        f"{figures.left_out[reason]} {reason}" for reason in LEFT_OUT
    )
    return "\n".join([
        f"Registry Functions Activity Report (RA Specification 3), {figures.month} (UTC)",
        *rows,
        "Counted: queries answered with the object or a not-found answer; port-43 WHOIS",
        "in whois-43-queries, RDAP lookups, searches and help in rdap-queries.",
        f"Left out: {left_out}",
        "(the lookup page, its assets and unknown paths are not queries).",
        "searchable-whois-queries: none offered. web-whois-queries: not reported; no web",
        "WHOIS is served here, and the lookup page's lookups are RDAP queries.",
        f"From {files} ledger file(s) in {directory}.",
        "",
    ])


def _warn(reading: UsageReading, month: str, now: datetime, stream: TextIO) -> int:
    for skipped in reading.skipped:
        print(f"rdap-coop: skipped {skipped.path}: {skipped.reason}", file=stream)
    if reading.files == 0:
        print("rdap-coop: no usage ledger found; nothing was counted", file=stream)
    if month >= month_of(now):
        print(f"rdap-coop: {month} is not over yet; its figures are partial", file=stream)
    return 1 if reading.skipped or reading.files == 0 else 0


def _fail(message: str) -> int:
    print(f"rdap-coop: {message}", file=sys.stderr)
    return 2


def _month_argument(text: str) -> str:
    if not MONTH.fullmatch(text):
        raise argparse.ArgumentTypeError("write the month as YYYY-MM, e.g. 2026-10")
    return text
