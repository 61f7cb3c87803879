"""What the soak watches in the demo process: memory, descriptors, pool, replicas, logs.

The process' own view comes from ``/proc`` (resident memory, open descriptors,
threads); the service's view from its internal ``/metrics`` (pool connections in use
and idle, replica up/lag, queries by service, kind and outcome); its log lines from
its stderr, where anything but an access line is worth a look. Nothing here changes
the process it watches.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

ACCESS_LINE = b" INFO rdap_coop.access "
LOG_LEVELS = (b"DEBUG", b"INFO", b"WARNING", b"ERROR", b"CRITICAL")
NOTABLE_LINES_KEPT = 20


@dataclass(frozen=True, slots=True)
class ProcessState:
    rss_mb: float
    fds: int
    threads: int


def process_state(pid: int) -> ProcessState:
    """Resident memory, open descriptors and threads of ``pid`` (Linux ``/proc``)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return ProcessState(int(fields["VmRSS"][0]) / 1024, fds, int(fields["Threads"][0]))


def own_sockets() -> int:
    """Sockets of this process: the soak's connections to the demo, each of which holds
    one descriptor there too, plus a constant few of the event loop's own."""
    fd_dir = Path("/proc/self/fd")
    count = 0
    for entry in os.listdir(fd_dir):
        with contextlib.suppress(OSError):  # closed since listed
            count += os.readlink(fd_dir / entry).startswith("socket:")
    return count


@dataclass(frozen=True, slots=True)
class ServerState:
    """The demo's ``/metrics``, reduced to what the soak judges."""

    requests: dict[tuple[str, str, str], float]  # (service, kind, outcome) -> total
    pool_in_use: int = 0
    pool_idle: int = 0
    replicas_up: int = 0
    replicas: int = 0
    lag_seconds: float = 0.0
    failovers: float = 0.0
    shed: float = 0.0

    @property
    def pool(self) -> int:
        return self.pool_in_use + self.pool_idle

    def total(self, *, service: str | None = None, outcome: str | None = None) -> float:
        return sum(value for (s, _, o), value in self.requests.items()
                   if service in (None, s) and outcome in (None, o))


COUNTED = {  # gauge or counter -> the ServerState field its samples add up to
    "rdap_coop_replica_failovers_total": "failovers",
    "rdap_coop_shed_requests_total": "shed",
}


def parse_metrics(text: str) -> ServerState:
    requests: dict[tuple[str, str, str], float] = {}
    sums: Counter[str] = Counter()
    lag = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == "rdap_coop_requests_total":
                requests[labels["service"], labels["kind"], labels["outcome"]] = value
            elif name == "rdap_coop_db_pool_connections":
                sums[f"pool_{labels['state']}"] += int(value)
            elif name == "rdap_coop_replica_up":
                sums["replicas"] += 1
                sums["replicas_up"] += int(value)
            elif name == "rdap_coop_replica_lag_seconds":
                lag = max(lag, value)
            elif name in COUNTED:
                sums[COUNTED[name]] += int(value)
    return ServerState(requests, sums["pool_in_use"], sums["pool_idle"], sums["replicas_up"],
                       sums["replicas"], lag, sums["failovers"], sums["shed"])


async def server_state(session: aiohttp.ClientSession, metrics_port: int) -> ServerState:
    async with session.get(f"http://127.0.0.1:{metrics_port}/metrics") as response:
        return parse_metrics(await response.text())


@dataclass
class LogWatch:
    """Counts the demo's log lines by level; keeps the first lines that are not access
    lines (a warning, an error, a traceback) to show at the end."""

    levels: Counter[str] = field(default_factory=Counter)
    notable: list[str] = field(default_factory=list)
    _partial: bytes = b""

    async def follow(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            lines = (self._partial + chunk).split(b"\n")
            self._partial = lines.pop()
            for line in lines:
                self.line(line)
        if self._partial:
            self.line(self._partial)

    def line(self, line: bytes) -> None:
        if ACCESS_LINE in line:
            self.levels["INFO"] += 1
            return
        words = line.split(b" ", 3)
        level = words[2] if len(words) > 2 and words[2] in LOG_LEVELS else b"unformatted"
        self.levels[level.decode()] += 1
        if level != b"INFO" and len(self.notable) < NOTABLE_LINES_KEPT:
            self.notable.append(line.decode("utf-8", "replace")[:300])

    @property
    def errors(self) -> int:
        """ERROR and CRITICAL lines, and lines outside the log format (a traceback
        printed by the interpreter, a crash message)."""
        return sum(self.levels[level] for level in ("ERROR", "CRITICAL", "unformatted"))


@dataclass(frozen=True, slots=True)
class Sample:
    """One row of the soak's table: the state at ``seconds`` into the steady load and
    the client's view of the interval since the previous row."""

    seconds: float
    elapsed: float  # since the previous row
    process: ProcessState
    clients: int  # the soak's connections to the demo at the time
    server: ServerState
    queries: int
    problems: int
    refused: int
    server_errors: float
    p50_ms: float
    p99_ms: float

    @property
    def fds_own(self) -> int:
        """Descriptors other than database and client connections, whose numbers the
        pool's idle lifetime and the load of the moment decide, not a leak."""
        return self.process.fds - self.server.pool - self.clients


HEADER = (f"{'t s':>6} {'RSS MB':>7} {'fds':>4} {'own':>4} {'thr':>3} {'pool':>6} "
          f"{'replica':>8} {'lag s':>6} {'q/s':>6} {'probl':>5} {'refus':>5} {'srverr':>6} "
          f"{'p50 ms':>7} {'p99 ms':>7}")


def row(sample: Sample) -> str:
    server, process = sample.server, sample.process
    replica = f"{server.replicas_up}/{server.replicas} up"
    return (f"{sample.seconds:>6.0f} {process.rss_mb:>7.1f} {process.fds:>4} "
            f"{sample.fds_own:>4} {process.threads:>3} "
            f"{server.pool_in_use:>2}+{server.pool_idle:<3} {replica:>8} "
            f"{server.lag_seconds:>6.1f} {sample.queries / sample.elapsed:>6.1f} "
            f"{sample.problems:>5} {sample.refused:>5} {sample.server_errors:>6.0f} "
            f"{sample.p50_ms:>7.2f} {sample.p99_ms:>7.2f}")
