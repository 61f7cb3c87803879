"""The fault-injection harness: a primary with two hot standbys, and the services as
processes over them.

Every test here starts ``rdap-coop serve`` and/or ``whois-coop serve`` as real
processes, configured by environment, over standbys streaming from a real primary;
drives them with the load of ``tests/faults/load.py``; breaks one thing; and holds
the service to four promises: no wrong answer, bounded latency for healthy requests,
recovery without a restart, and nothing left behind (``tests/faults/census.py``).
The service's timeouts are set short here, so that each fault takes seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiohttp
import asyncpg
import pytest

from rdap_coop.embedded_postgres import EmbeddedPostgres, start_embedded_postgres, start_standby
from rdap_coop.sample import load_sample_registry
from tests.faults.census import Census, census, held
from tests.fuzz.invariants import FUZZ_SCALE, withheld_personal_values
from tests.redis_server import free_port
from tests.test_workers import workers_of

VENV_BIN = Path(sys.executable).parent
READER = "rdap_coop_reader"  # the services' role on the standbys (and nobody else's)
SAMPLE_DOMAINS = 40
POOL_MAX_SIZE = 3
# Healthy requests take a few milliseconds here. The smallest timeout of the database
# layer is 1.5 s, so a healthy request that waited on anything a fault broke (a
# connect, an acquire, a query) would exceed this bound.
HEALTHY_SECONDS = 1.0
# A request that cannot be served must be refused by the service's own deadline (the
# RDAP request timeout below, 2.5 s), plus scheduling slack on a small shared machine.
REFUSAL_SECONDS = 3.5
# After the fault is removed: the replica check period (0.2 s) and the rate-limit
# store's retry period (5 s) are the longest waits, plus slack.
RECOVERY_SECONDS = 8.0
# `make fuzz` repeats each fault: a leak of one descriptor per round adds up.
ROUNDS = max(1, FUZZ_SCALE // 10)
WARM_SECONDS = 0.3  # load before the baseline: the pools grow to what it needs
HOLD_SECONDS = 0.5  # load while the fault is in place (after it has shown)

SERVICE_SETTINGS = {
    "DATABASE_POOL_MAX_SIZE": str(POOL_MAX_SIZE),
    "DATABASE_CONNECT_TIMEOUT_SECONDS": "1.5",
    "DATABASE_ACQUIRE_TIMEOUT_SECONDS": "1.5",
    "DATABASE_COMMAND_TIMEOUT_SECONDS": "1.5",
    "DATABASE_STATEMENT_TIMEOUT_MS": "500",
    "CACHE_TTL_SECONDS": "0",  # every lookup reads a standby: a cache would hide faults
    "REPLICA_CHECK_SECONDS": "0.2",
    "RDAP_REQUEST_TIMEOUT_SECONDS": "2.5",
    "TRUSTED_PROXIES": "127.0.0.0/8",
    "RATE_LIMIT_EXEMPT_NETWORKS": "127.0.0.0/8",
    # The load sees consented personal data thousands of times from one address; past
    # the quota the answer rightly changes (no personal data), which is not under test.
    "PERSONAL_DATA_DAILY_CONTACTS": "100000000",
    "WHOIS_HOSTS": "127.0.0.1",
    "WHOIS_READ_TIMEOUT_SECONDS": "1",
    "WHOIS_WRITE_TIMEOUT_SECONDS": "1",
    "WHOIS_CONNECTION_DEADLINE_SECONDS": "4",
    "LOG_LEVEL": "INFO",
}


@dataclass
class Cluster:
    """The registry's primary and its two hot standbys (the services read these)."""

    primary: EmbeddedPostgres
    standbys: list[EmbeddedPostgres]

    def reader_dsn(self, index: int) -> str:
        return self.standbys[index].dsn(user=READER)

    async def heal(self) -> None:
        """Undo whatever a test did: every standby running, thawed and replaying."""
        for standby in self.standbys:
            thaw(standby)
            standby.start()
            if await sql(standby, "SELECT pg_is_wal_replay_paused()"):
                await sql(standby, "SELECT pg_wal_replay_resume()")
        # The registry stamps each change: the standbys are fresh (/ready says so).
        await sql(self.primary, "UPDATE registry_state SET last_change_at = now()")

    async def connections(self, index: int) -> int:
        """The services' sessions on a standby, as the standby itself sees them."""
        count = await sql(self.standbys[index], "SELECT count(*) FROM pg_stat_activity"
                          f" WHERE usename = '{READER}'")
        assert isinstance(count, int)
        return count


async def sql(server: EmbeddedPostgres, statement: str) -> object:
    connection = await asyncpg.connect(server.dsn())
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


def server_processes(server: EmbeddedPostgres) -> list[int]:
    """The postmaster and its children (backends, walreceiver, startup...)."""
    try:
        postmaster = int((server.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return []
    children = [pid for pid in _all_pids() if _parent_of(pid) == postmaster]
    return [postmaster, *children]


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def freeze(server: EmbeddedPostgres) -> None:
    """A frozen host: every server process stopped; the kernel still accepts connections."""
    _signal_all(server, signal.SIGSTOP)


def thaw(server: EmbeddedPostgres) -> None:
    _signal_all(server, signal.SIGCONT)


def _signal_all(server: EmbeddedPostgres, signum: signal.Signals) -> None:
    for pid in server_processes(server):
        with contextlib.suppress(ProcessLookupError):  # a backend that just ended
            os.kill(pid, signum)


@pytest.fixture(scope="package")
def cluster() -> Iterator[Cluster]:
    primary = start_embedded_postgres()
    standbys: list[EmbeddedPostgres] = []
    try:
        asyncio.run(load_sample_registry(primary.dsn(), domains=SAMPLE_DOMAINS, seed=11))
        standbys = [start_standby(primary), start_standby(primary)]
        yield Cluster(primary, standbys)
    finally:
        for server in (*standbys, primary):
            thaw(server)
            server.destroy()


@pytest.fixture(scope="package")
def secrets(cluster: Cluster) -> frozenset[str]:
    """Personal data the public must never see, from the primary the standbys copy."""
    values = asyncio.run(withheld_personal_values(cluster.primary.dsn()))
    assert values
    return values


@dataclass
class Service:
    """One running ``rdap-coop serve`` or ``whois-coop serve`` (maybe with workers)."""

    kind: str
    process: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pids(self) -> list[int]:
        return [self.process.pid, *sorted(workers_of(self.process.pid))]

    def census(self) -> Census:
        return census(self.pids(), (self.port, self.metrics_port))

    def holds(self, client_ports: set[int]) -> int:
        """How many connections from these client ports the service still holds open
        (after it lets go, the kernel may still be flushing what it wrote)."""
        return held(self.pids(), self.port, client_ports)

    async def internal(self, path: str) -> tuple[int, str]:
        """GET on the internal port: /metrics, /health, /ready."""
        url = f"http://127.0.0.1:{self.metrics_port}{path}"
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as reply:
            return reply.status, await reply.text()

    async def metric(self, sample: str) -> float | None:
        """The value of one exposition line's sample, e.g. ``name{label="x"}``."""
        _, text = await self.internal("/metrics")
        for line in text.splitlines():
            name, _, value = line.rpartition(" ")
            if name == sample:
                return float(value)
        return None


class Launcher(Protocol):
    def __call__(self, kind: str, **settings: str) -> Awaitable[Service]:
        ...


@pytest.fixture
async def launch(cluster: Cluster, tmp_path: Path) -> AsyncIterator[Launcher]:
    """Start services over the (healed) cluster; settings are RDAP_COOP_* names without
    the prefix; the preferred standby is 0 unless DATABASE_DSN says otherwise."""
    await cluster.heal()
    started: list[Service] = []

    async def start(kind: str, **settings: str) -> Service:
        port, metrics_port = free_port(), free_port()
        own = {**SERVICE_SETTINGS, "DATABASE_DSN": cluster.reader_dsn(0),
               "RDAP_PORT": str(port), "WHOIS_PORT": str(port),
               "RDAP_BASE_URL": f"http://127.0.0.1:{port}/",
               "METRICS_PORT": str(metrics_port), **settings}
        workers = int(own.get("WORKERS", "1"))
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("RDAP_COOP_")}
        environment = {**inherited, **{f"RDAP_COOP_{k}": v for k, v in own.items()}}
        log = tmp_path / f"{kind}-{port}.log"
        service = Service(kind, _spawn(kind, environment, log), port, metrics_port, log)
        started.append(service)
        await until(lambda: _is_listening(service, workers), 20.0)
        return service

    try:
        yield start
    finally:
        stop(started)


def _spawn(kind: str, environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``<kind>-coop serve``; its log lines go to a file (a pipe nobody reads
    would fill up and stall the service)."""
    with log.open("wb") as output:
        return subprocess.Popen([str(VENV_BIN / f"{kind}-coop"), "serve"], env=environment,
                                stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT)


def _is_listening(service: Service, workers: int) -> bool:
    assert service.process.poll() is None, service.log.read_text()
    pids = service.pids()
    listeners = census(pids, ()).listening
    return len(pids) == (1 if workers == 1 else workers + 1) and listeners >= 2 * workers


def stop(services: Sequence[Service]) -> None:
    """SIGTERM, as an operator would; each service must then exit by itself."""
    for service in services:
        if service.process.poll() is None:
            service.process.send_signal(signal.SIGTERM)
    for service in services:
        try:
            service.process.wait(20)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()
        lines = service.log.read_text(errors="replace").splitlines()
        print(f"--- {service.kind} log, but the access lines (tail) ---")
        print("\n".join([line for line in lines if "rdap_coop.access" not in line][-40:]))


async def until(condition: Callable[[], bool | Awaitable[bool]], seconds: float) -> float:
    """Wait until ``condition`` holds; returns how long that took, fails after ``seconds``."""
    started = time.monotonic()
    while True:
        outcome = condition()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, f"not reached within {seconds} s"
        await asyncio.sleep(0.05)


def assert_logs_clean(services: Sequence[Service], secrets: frozenset[str]) -> None:
    """Whatever happened, personal data never reaches a log line."""
    for service in services:
        text = service.log.read_text(errors="replace")
        assert not [value for value in secrets if value in text], service.log
        assert "Traceback" not in text, text[-3000:]


async def settled(*services: Service) -> list[Census]:
    """Each service's census once the load's client connections are gone."""
    await until(lambda: all(s.census().clients == 0 for s in services), 10.0)
    return [s.census() for s in services]


async def settled_sessions(cluster: Cluster, censuses: Sequence[Census]) -> list[int]:
    """The standbys' count of the services' sessions, once it matches the services' own
    count of their connections (a session whose client went away ends a moment later)."""
    ports = [standby.port for standby in cluster.standbys]

    async def matching() -> bool:
        counts = [await cluster.connections(i) for i in range(len(ports))]
        return counts == [sum(census.peers[port] for census in censuses) for port in ports]

    await until(matching, RECOVERY_SECONDS)
    return [await cluster.connections(i) for i in range(len(ports))]
