"""The soak's load generator: sends the mix, judges every answer, keeps the tally.

Anything but the right answer is a problem, tallied with the query that showed it. The
generator stays cheap because it shares the machine with the service: aiohttp
keep-alive connections for RDAP, bare non-blocking sockets for WHOIS (one query a
connection, RFC 3912 §2), byte searches instead of JSON parsing, one timestamp pair
a query. Capacity is measured closed-loop (each worker waits for its answer); the
steady load is open-loop (queries leave on schedule whatever the answers do), so a
stall shows as latency and overruns instead of quietly lowering the load.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp
from mix import Mix, Query

TIMEOUT_SECONDS = 15.0  # beyond the service's own 10-s request timeout: a hang, not a 503
WHOIS_LAST_UPDATE = b">>> Last update of WHOIS database:"
# Documented port-43 refusals, the counterpart of RDAP's 503 (whois_coop/render.py).
WHOIS_REFUSALS = (b"The service is temporarily unavailable", b"Too many connections")
WHOIS_RATE_LIMITED = b"Query limit exceeded"
WHOIS_CONCURRENCY = 16  # below the per-address connection cap of 20


@dataclass
class Tally:
    """What the client saw: answers and problems by kind, latencies of the interval."""

    answered: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # deliberate 503/429, refusals
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)  # problem -> first query
    latencies: list[float] = field(default_factory=list)
    overruns: int = 0  # queries not sent because too many were still in flight

    def problem(self, query: Query, what: str) -> None:
        key = f"{query.kind}: {what}"
        self.problems[key] += 1
        self.examples.setdefault(key, query.target)

    def take_latencies(self) -> list[float]:
        taken, self.latencies = self.latencies, []
        return taken


class Driver:
    """Sends queries and judges the answers; ``limited`` accepts rate-limit refusals
    (429, the port-43 limit line) as right answers, for runs that exercise the limiter."""

    def __init__(self, mix: Mix, rdap_port: int, whois_port: int, *, limited: bool) -> None:
        self.mix = mix
        self.base = f"http://127.0.0.1:{rdap_port}"
        self.whois_port = whois_port
        self.limited = limited
        self.tally = Tally()
        self.sent: Counter[str] = Counter()  # by service, as the server should count them
        self.whois_slots = asyncio.Semaphore(WHOIS_CONCURRENCY)
        # Under the limiter, several source addresses make several limiter keys.
        self.sources = [f"127.0.0.{n}" for n in range(1, 9)] if limited else ["127.0.0.1"]
        self.sessions: list[aiohttp.ClientSession] = []

    async def __aenter__(self) -> Driver:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        for source in self.sources:
            connector = aiohttp.TCPConnector(limit=64 // len(self.sources) or 1,
                                             local_addr=(source, 0))
            self.sessions.append(aiohttp.ClientSession(connector=connector, timeout=timeout))
        return self

    async def __aexit__(self, *_: object) -> None:
        """Close every client connection, so the service's descriptors can be counted
        at rest; the driver may be entered again."""
        for session in self.sessions:
            await session.close()
        self.sessions = []

    async def one(self, query: Query | None = None) -> None:
        """Send ``query`` (by default one drawn from the mix) and judge its answer."""
        query = query or self.mix.draw()
        started = time.perf_counter()
        try:
            if query.is_whois:
                self.sent["whois"] += 1
                await self._whois(query)
            else:
                self.sent["rdap"] += 1
                await self._rdap(query)
        except (OSError, TimeoutError, aiohttp.ClientError) as error:
            self.tally.problem(query, type(error).__name__)
        self.tally.latencies.append(time.perf_counter() - started)

    async def _rdap(self, query: Query) -> None:
        headers = {"Authorization": f"Bearer {query.token}"} if query.token else None
        session = self.sessions[self.mix.rng.randrange(len(self.sessions))]
        async with session.get(self.base + query.target, headers=headers) as response:
            body = await response.read()
            status = response.status
            retry_after = "Retry-After" in response.headers
        if (status == 503 and retry_after) or (status == 429 and self.limited):
            self.tally.refused[query.kind] += 1
        elif status != query.expect:
            self.tally.problem(query, f"status {status} instead of {query.expect}")
        elif query.marker not in body:
            self.tally.problem(query, "answer lacks what it must name")
        else:
            self.tally.answered[query.kind] += 1

    async def _whois(self, query: Query) -> None:
        async with self.whois_slots:
            reply = await asyncio.wait_for(self._exchange(query.target), TIMEOUT_SECONDS)
        if reply.startswith(WHOIS_REFUSALS) or (self.limited and reply.startswith(
                WHOIS_RATE_LIMITED)):
            self.tally.refused[query.kind] += 1
        elif not reply.startswith(query.marker):
            self.tally.problem(query, f"reply starts {reply[:40]!r}")
        elif WHOIS_LAST_UPDATE not in reply or not reply.endswith(b"\r\n"):
            self.tally.problem(query, "reply lacks its last-update line or final CRLF")
        else:
            self.tally.answered[query.kind] += 1

    async def _exchange(self, line: str) -> bytes:
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setblocking(False)
            sock.bind((self.mix.rng.choice(self.sources), 0))
            await loop.sock_connect(sock, ("127.0.0.1", self.whois_port))
            await loop.sock_sendall(sock, line.encode() + b"\r\n")
            chunks = []
            while chunk := await loop.sock_recv(sock, 65536):
                chunks.append(chunk)
        return b"".join(chunks)

    async def sweep(self, queries: Sequence[Query], concurrency: int) -> None:
        """Each of ``queries`` once, ``concurrency`` at a time."""
        pending = iter(queries)

        async def worker() -> None:
            for query in pending:  # one iterator shared by every worker
                await self.one(query)

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def closed_loop(self, seconds: float, concurrency: int) -> float:
        """Queries back to back from ``concurrency`` workers; returns queries per second."""
        loop = asyncio.get_running_loop()
        before = sum(self.sent.values())
        started = loop.time()
        deadline = started + seconds

        async def worker() -> None:
            while loop.time() < deadline:
                await self.one()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return (sum(self.sent.values()) - before) / (loop.time() - started)

    async def open_loop(self, rate: float, seconds: float, max_in_flight: int) -> None:
        """``rate`` queries a second on schedule, whether or not answers keep up: a stall
        shows as growing latency and, past ``max_in_flight``, as overruns."""
        loop = asyncio.get_running_loop()
        in_flight: set[asyncio.Task[None]] = set()
        started = loop.time()
        launched = 0
        while (now := loop.time()) < started + seconds:
            due = int((now - started) * rate) - launched
            launched += due
            for _ in range(due):
                if len(in_flight) >= max_in_flight:
                    self.tally.overruns += 1
                    continue
                task = asyncio.create_task(self.one())
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            await asyncio.sleep(0.005)
        if in_flight:
            await asyncio.wait(in_flight)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of unsorted ``values`` (0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
