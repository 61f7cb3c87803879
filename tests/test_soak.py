"""``make soak`` in brief, its verdict's arithmetic, and what soaking found.

The soak (soak/soak.py) runs the demo under steady mixed load and judges memory,
descriptors, replicas and errors. Here it runs for a few seconds over a small
registry, so the script cannot rot unnoticed; its verdict is checked on made-up
samples, where a leak must fail it and noise must not. The last tests are findings
of longer soaks, reduced to the replica set under a saturated pool.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from rdap_coop.core.db import Connection
from rdap_coop.core.errors import BackendUnavailable
from rdap_coop.core.replicas import ReplicaSet
from tests.conftest import SampleDatabase, make_settings

SOAK = Path(__file__).resolve().parent.parent / "soak"
QUICK = ["--minutes", "0.15", "--share", "0.2", "--domains", "300", "--sample-seconds", "2",
         "--capacity-seconds", "2"]
KINDS = 14  # of soak/mix.py


def test_a_short_soak_of_the_demo_passes() -> None:
    result = subprocess.run([sys.executable, str(SOAK / "soak.py"), *QUICK], cwd=SOAK.parent,
                            capture_output=True, text=True, timeout=100)
    output = result.stdout
    assert result.returncode == 0, output[-6000:] + result.stderr[-3000:]
    assert "\nverdict: PASS\n" in output
    for judged in ("memory flat", "descriptors flat", "replicas steady", "errors none"):
        assert f"  {judged}" in output
    table = output.split("queries by kind", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^(\S+) +(\d+) +(\d+) +(\d+)$", table, re.MULTILINE)
    assert len(rows) == KINDS
    assert all(int(right) > 0 and problems == "0" for _, right, _, problems in rows), table


# ---------------------------------------------------------------- the verdict, on paper
@pytest.fixture(scope="module")
def soak() -> Iterator[dict[str, ModuleType]]:
    """The soak's modules, imported as the script imports them (from its directory)."""
    sys.path.insert(0, str(SOAK))
    try:
        yield {name: importlib.import_module(name) for name in ("observe", "verdict", "traffic")}
    finally:
        sys.path.remove(str(SOAK))


def run_of(soak: dict[str, ModuleType], minutes: float, rss: Callable[[float], float],
           own_fds: Callable[[float], int], every: float = 10.0) -> list[Any]:
    """Made-up samples: ``rss`` and ``own_fds`` as functions of seconds into the load."""
    observe = soak["observe"]
    samples = []
    for step in range(1, int(minutes * 60 / every) + 1):
        seconds = step * every
        server = observe.ServerState({}, 0, 10, 1, 1)
        process = observe.ProcessState(rss(seconds), own_fds(seconds) + 10 + 3, 6)
        samples.append(observe.Sample(seconds, every, process, 3, server, 100, 0, 0, 0.0,
                                      2.0, 9.0))
    return samples


def wobble(seconds: float) -> float:
    """What the resident size does at steady state: a megabyte up and down."""
    return 170.0 + (seconds // 10 % 3) * 0.5


@pytest.mark.parametrize(("minutes", "rss", "flat"), [
    (30, wobble, True),
    (30, lambda t: wobble(t) + t / 600 * 3.0, False),  # 3 MB per 10 minutes
    (60, lambda t: wobble(t) + t / 600 * 1.5, False),
    (0.2, lambda t: wobble(t) + (1.5 if t > 6 else 0), True),  # a short run's noise
    (0.5, lambda t: 170.0 + t / 3, False),  # 10 MB in half a minute
])
def test_memory_is_flat_only_without_a_trend(
    soak: dict[str, ModuleType], minutes: float, rss: Callable[[float], float], flat: bool
) -> None:
    every = min(10.0, minutes * 60 / 4)
    finding = soak["verdict"].memory(run_of(soak, minutes, rss, lambda _: 20, every))
    assert finding.ok is flat, finding.line


@pytest.mark.parametrize(("own_fds", "after", "flat"), [
    (lambda t: 20 + int(t // 10 % 2) * 5, 20, True),
    (lambda t: 20 + int(t // 60), 50, False),  # one more a minute, still held at rest
    (lambda _: 20, 24, False),  # flat under load, four more once it stopped
])
def test_descriptors_come_back_to_their_band(
    soak: dict[str, ModuleType], own_fds: Callable[[float], int], after: int, flat: bool
) -> None:
    samples = run_of(soak, 30, wobble, own_fds)
    rest = run_of(soak, 1 / 6, wobble, lambda _: 20)[0]
    rest_after = run_of(soak, 1 / 6, wobble, lambda _: after)[0]
    finding = soak["verdict"].descriptors(samples, rest, rest_after)
    assert finding.ok is flat, finding.line


def test_any_error_or_warning_fails_the_verdict(soak: dict[str, ModuleType]) -> None:
    verdict, observe, traffic = soak["verdict"], soak["observe"], soak["traffic"]
    samples = run_of(soak, 1, wobble, lambda _: 20)
    quiet, tally = observe.LogWatch(), traffic.Tally()
    quiet.line(b"2026-11-29 22:01:47,492 INFO rdap_coop.access rdap domain ok")
    assert verdict.errors(tally, quiet, 0, 0, 0).ok
    assert verdict.replicas(samples, samples[-1], quiet).ok
    assert not verdict.errors(tally, quiet, 0, 0, -15).ok
    assert not verdict.errors(tally, quiet, 1, 0, 0).ok
    assert not verdict.errors(tally, quiet, 0, 3, 0).ok
    noisy = observe.LogWatch()
    noisy.line(b"2026-11-29 22:09:59,198 WARNING rdap_coop.core.replicas replica 0 is down")
    noisy.line(b"Traceback (most recent call last):")
    assert not verdict.replicas(samples, samples[-1], noisy).ok
    assert not verdict.errors(tally, noisy, 0, 0, 0).ok


# ---------------------------------------------------------------- findings of soaking
POOL = {"database_pool_max_size": "2", "database_acquire_timeout_seconds": "0.3"}
SLOW_CONNECT_SECONDS = 1.0


class SlowToConnect:
    """A TCP relay in front of Postgres that lets its first connection through at once
    and holds each later one for a while before relaying it: a replica whose backends
    are slow to start, as on cores a busy neighbour shares, while it keeps answering
    on the connections it has."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.connections = 0
        self.tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> str:
        """Start relaying; returns ``dsn`` rewritten to go through the relay."""
        parts = urlsplit(self.dsn)
        self.upstream = parts.port
        self.server = await asyncio.start_server(self.relay, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        user = parts.netloc.rsplit("@", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}"))

    async def __aexit__(self, *_: object) -> None:
        self.server.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.connections > 1:
            await asyncio.sleep(SLOW_CONNECT_SECONDS)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self.pipe(source, sink))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    @staticmethod
    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()


async def select_one(connection: Connection) -> object:
    return await connection.fetchval("SELECT 1")


async def test_a_busy_replica_is_not_taken_for_a_dead_one(test_database: SampleDatabase) -> None:
    """One lookup holds one of the two connections (the replica answers it); a second
    lookup needs a new connection, which is slower to come than the acquire timeout.
    The second lookup may get a 503, but the replica must stay up: marking it down
    expires its working connections and refuses every lookup until the retry time.
    Found by the soak: at half its capacity, with a neighbour busy on the same cores,
    the demo logged "replica 0 is down (_Unreachable)" and answered 503 for seconds."""
    async with SlowToConnect(test_database.reader_dsn) as dsn:
        settings = make_settings(dsn, **POOL, database_connect_timeout_seconds="5")
        replicas = await ReplicaSet.open(settings.database)
        try:
            assert await replicas.run(select_one) == 1  # the first connection, made at once

            async def hold(connection: Connection) -> object:
                return await connection.fetchval("SELECT pg_sleep(1.5)")

            holding = asyncio.create_task(replicas.run(hold))
            await asyncio.sleep(0.1)
            with pytest.raises(BackendUnavailable):
                await replicas.run(select_one)
            assert replicas.replicas[0].is_up, "a replica answering lookups was marked down"
            await holding
        finally:
            await replicas.close()


async def test_the_health_check_outlives_a_saturated_pool(
    test_database: SampleDatabase,
) -> None:
    """Every connection busy: the periodic check must neither raise (its loop would log
    "replica check failed" with a traceback and skip publishing the pool gauges, just
    when they matter) nor take the busy replica for a dead one."""
    settings = make_settings(test_database.reader_dsn, **POOL)
    replicas = await ReplicaSet.open(settings.database)

    async def hold(connection: Connection) -> object:
        return await connection.fetchval("SELECT pg_sleep(1)")

    holders = [asyncio.create_task(replicas.run(hold)) for _ in range(2)]
    try:
        await asyncio.sleep(0.2)  # both connections taken
        await replicas.check()
        assert replicas.replicas[0].is_up
    finally:
        await asyncio.gather(*holders, return_exceptions=True)
        await replicas.close()
