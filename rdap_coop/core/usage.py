"""The usage ledger: each process's monthly query counts, kept on disk for the ICANN report.

ICANN's monthly Registry Functions Activity Report (Registry Agreement Specification 3
§2) asks how many WHOIS and RDAP queries were answered in the month. We count them
already, in ``rdap_coop_requests`` (core/metrics.py), but a Prometheus counter is a
cumulative number in one process's memory: it restarts from zero with the process,
and every worker and host has its own. So each process turns the *increase* of its
own counters into per-UTC-month totals and keeps them in a file of its own
(``usage-<host>-<pid>-<start>.json``): no two writers ever share a file, a restarted
process starts a new one, and the report adds every file up. No database write per
query (the database is a read-only replica anyway), and the figures come from the
very counters the dashboards show.

The file is replaced atomically (a temporary file in the same directory, then
``os.replace``), so a reader sees the previous complete version or the next one,
never half of one. It holds only closed label values (service, query kind, outcome)
and counts: no names, addresses or other personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import socket
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry

from rdap_coop.core.metrics import Metrics

log = logging.getLogger(__name__)

REQUESTS_SAMPLE = "rdap_coop_requests_total"
FORMAT_VERSION = 1
LEDGER_NAME = re.compile(r"usage-[A-Za-z0-9._-]+\.json")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# The periodic flush is moved forward to land this long before a month ends, so the
# increase of the month's last minute is booked to that month, not the next one.
BOUNDARY_LEAD_SECONDS = 0.5

# (service, kind, outcome): the labels of rdap_coop_requests.
Labels = tuple[str, str, str]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def month_of(moment: datetime) -> str:
    """The UTC month ``YYYY-MM`` (Specification 3 reports by UTC month)."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def next_month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def request_counts(registry: CollectorRegistry) -> Counter[Labels]:
    """This process's cumulative ``rdap_coop_requests_total``, by label set.

    Under several workers prometheus-client keeps values in per-process files, but
    the per-process registry still reads this process's own values (see
    tests/core/test_usage.py), which is what a ledger of this process must add.
    """
    counts: Counter[Labels] = Counter()
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == REQUESTS_SAMPLE:
                labels = sample.labels
                key = (labels["service"], labels["kind"], labels["outcome"])
                counts[key] += round(sample.value)
    return counts


def _host_name() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname()) or "host"


class UsageLedger:
    """One process's monthly totals of answered-query counters, flushed to its own file.

    Counting starts when the ledger is made: build it before serving starts. Values the
    counters already held then are not this ledger's (under several workers a new
    process can inherit a dead one's counter file when the pid is reused).
    """

    def __init__(self, metrics: Metrics, directory: Path, *, clock: Clock = utc_now) -> None:
        self._registry = metrics.registry
        self.directory = directory
        self._clock = clock
        self._started = clock().astimezone(UTC)
        self._host = _host_name()
        self.path = directory / (
            f"usage-{self._host}-{os.getpid()}-{self._started:%Y%m%dT%H%M%S%fZ}.json"
        )
        self._seen = request_counts(self._registry)
        self._months: dict[str, Counter[Labels]] = {}
        self._unsaved = False
        # Held across a flush: the periodic one runs in a thread, the final one may
        # start while it is still running.
        self._lock = threading.Lock()

    def flush(self) -> bool:
        """Book the increase since the last flush to the current UTC month, then save.

        Returns False when the file could not be written: the totals stay in memory
        and the next flush writes them, so nothing is lost or counted twice.
        """
        with self._lock:
            self._book_increase()
            if not self._unsaved:
                return True
            try:
                self._save()
            except OSError as error:
                log.error(
                    "could not write the usage ledger %s, retrying at the next flush: %s",
                    self.path, error,
                )
                return False
            self._unsaved = False
            return True

    async def run(self, period_seconds: float = 60.0) -> None:
        """Flush every ``period_seconds`` until cancelled, and once more then."""
        try:
            while True:
                await asyncio.sleep(self.next_delay(period_seconds))
                # Off the event loop: the write ends with an fsync.
                await asyncio.to_thread(self._flush_logged)
        finally:
            self._flush_logged()

    def _flush_logged(self) -> None:
        """A flush that never raises: counting for a report must not stop serving."""
        try:
            self.flush()
        except Exception:
            log.exception("the usage ledger flush failed; retrying at the next flush")

    def next_delay(self, period_seconds: float) -> float:
        """The wait before the next flush: the period, shortened to land just before
        the month ends."""
        now = self._clock()
        until_lead = (next_month_start(now) - now).total_seconds() - BOUNDARY_LEAD_SECONDS
        return until_lead if 0 < until_lead < period_seconds else period_seconds

    def _book_increase(self) -> None:
        current = request_counts(self._registry)
        month = month_of(self._clock())
        for labels, value in current.items():
            previous = self._seen.get(labels, 0)
            # A counter never falls within a process; if one ever restarted, all of
            # its value is new.
            increase = value - previous if value >= previous else value
            if increase > 0:
                self._months.setdefault(month, Counter())[labels] += increase
                self._unsaved = True
        self._seen = current

    def _save(self) -> None:
        document = {
            "format": FORMAT_VERSION,
            "host": self._host,
            "pid": os.getpid(),
            "started": self._started.isoformat(),
            "months": {month: nest(counts) for month, counts in sorted(self._months.items())},
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=".usage-", suffix=".tmp", dir=self.directory
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise


def nest(counts: Counter[Labels]) -> dict[str, dict[str, dict[str, int]]]:
    """``{service: {kind: {outcome: count}}}``: the file's shape, readable by eye."""
    nested: dict[str, dict[str, dict[str, int]]] = {}
    for (service, kind, outcome), count in sorted(counts.items()):
        nested.setdefault(service, {}).setdefault(kind, {})[outcome] = count
    return nested


class CorruptLedger(ValueError):
    """A ledger file that cannot be trusted; the reason names no data from it."""


@dataclass(frozen=True, slots=True)
class SkippedLedger:
    path: Path
    reason: str


@dataclass(slots=True)
class UsageReading:
    """Every ledger file of a directory, added up by month."""

    files: int = 0
    months: dict[str, Counter[Labels]] = field(default_factory=dict)
    skipped: list[SkippedLedger] = field(default_factory=list)

    def month(self, month: str) -> Counter[Labels]:
        return self.months.get(month, Counter())


def read_usage(directory: Path) -> UsageReading:
    """Add up every ledger in ``directory``; other files are ignored, corrupt ones skipped.

    A file is taken whole or not at all. Raises OSError when the directory itself
    cannot be listed.
    """
    reading = UsageReading()
    for path in sorted(directory.iterdir()):
        if not LEDGER_NAME.fullmatch(path.name) or not path.is_file():
            continue
        try:
            months = parse_ledger(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            reading.skipped.append(SkippedLedger(path, f"unreadable ({type(error).__name__})"))
            continue
        except CorruptLedger as error:
            reading.skipped.append(SkippedLedger(path, str(error)))
            continue
        reading.files += 1
        for month, counts in months.items():
            reading.months.setdefault(month, Counter()).update(counts)
    return reading


def parse_ledger(text: str) -> dict[str, Counter[Labels]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CorruptLedger(f"not valid JSON (line {error.lineno}, column {error.colno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("months"), dict):
        raise CorruptLedger('no "months" object')
    months: dict[str, Counter[Labels]] = {}
    for month, services in document["months"].items():
        if not MONTH.fullmatch(month):
            raise CorruptLedger("a month is not written YYYY-MM")
        months[month] = _month_counts(services)
    return months


def _month_counts(services: object) -> Counter[Labels]:
    counts: Counter[Labels] = Counter()
    for service, kinds in _object(services).items():
        for kind, outcomes in _object(kinds).items():
            for outcome, count in _object(outcomes).items():
                if type(count) is not int or count < 0:
                    raise CorruptLedger("a count is not a whole number of at least 0")
                counts[(service, kind, outcome)] += count
    return counts


def _object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise CorruptLedger("the counts are not nested objects")
    return value
