"""Clients that connect and then do not play along: they never finish a request, never
send one, or never read the answer.

Other clients must still be served within bounds, each bad connection must be closed
by a deadline the operator configured, and once they are gone the service holds
exactly the descriptors it held before. Whether the service has let a connection go
is read from its descriptors (``/proc/<pid>/fd``): once it has, what it already wrote
is the kernel's to deliver or drop, at no cost to the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator

import aiohttp

from tests.faults.census import assert_no_leak
from tests.faults.conftest import (
    HEALTHY_SECONDS,
    SERVICE_SETTINGS,
    Cluster,
    Launcher,
    assert_logs_clean,
    settled,
    until,
)
from tests.faults.load import HANG_SECONDS, Load, figure, public_probes, worst, wrong
from tests.fuzz.invariants import whois_problems
from whois_coop.render import TIMEOUT_LINE

BAD_CONNECTIONS = 30  # of each kind
# A connection's deadline as configured, plus slack for a loaded machine.
SLACK_SECONDS = 2.0
RDAP_REQUEST_TIMEOUT = 1.0
# A stalled RDAP connection must be let go within the request timeout once its answer
# is blocked; before that, the service may need up to as long again to answer what
# was pipelined.
RDAP_DEADLINE = 2 * RDAP_REQUEST_TIMEOUT + SLACK_SECONDS
WHOIS_READ_DEADLINE = float(SERVICE_SETTINGS["WHOIS_READ_TIMEOUT_SECONDS"]) + SLACK_SECONDS
WHOIS_WRITE_DEADLINE = float(SERVICE_SETTINGS["WHOIS_WRITE_TIMEOUT_SECONDS"]) + SLACK_SECONDS
# Pipelined requests for answers of ~6 KB each: far more than a small receive window
# and the kernel's send buffer hold, so the service must wait for the reader. Each
# connection comes (through the trusted proxy) from its own address, rate-limited as
# usual but within its budget, so every answer is a full one.
PIPELINED = 24
REQUEST = b"GET /domain/example.coop HTTP/1.1\r\nHost: rdap.nic.coop\r\n"


def pipelined(client: int) -> bytes:
    head = REQUEST + f"X-Forwarded-For: 198.51.100.{client}\r\n\r\n".encode()
    return head * PIPELINED


@contextlib.contextmanager
def connections(
    port: int, payloads: list[bytes], *, source: str = "127.0.0.1", window: int = 0
) -> Iterator[list[socket.socket]]:
    """A connection for each payload, which sends it and then reads nothing."""
    opened: list[socket.socket] = []
    try:
        for payload in payloads:
            connection = socket.socket()
            if window:  # before connecting, so the handshake announces the small window
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, window)
            connection.bind((source, 0))
            connection.connect(("127.0.0.1", port))
            connection.sendall(payload)
            opened.append(connection)
        yield opened
    finally:
        for connection in opened:
            connection.close()


def local_ports(opened: list[socket.socket]) -> set[int]:
    return {connection.getsockname()[1] for connection in opened}


async def test_rdap_cuts_off_clients_that_never_read_or_never_finish_a_request(
    cluster: Cluster, launch: Launcher, secrets: frozenset[str]
) -> None:
    rdap = await launch("rdap", RDAP_REQUEST_TIMEOUT_SECONDS=str(RDAP_REQUEST_TIMEOUT))
    timeout = aiohttp.ClientTimeout(total=HANG_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load = Load(session, secrets)
        probes = public_probes(load, "healthy", rdap=rdap.url)
        await load.learn(probes)
    before = (await settled(rdap))[0]

    async with aiohttp.ClientSession(timeout=timeout) as session:
        load.session = session
        with connections(rdap.port, [pipelined(n + 1) for n in range(BAD_CONNECTIONS)],
                         window=4096) as readless, \
                connections(rdap.port, [REQUEST] * BAD_CONNECTIONS) as slowloris:
            started, released = time.monotonic(), None
            still_open: dict[str, int] = {}
            async with load.running(probes):
                while time.monotonic() - started < RDAP_DEADLINE:
                    for connection in slowloris:  # one more header line every 0.25 s
                        with contextlib.suppress(OSError):
                            connection.sendall(b"X-Slowly: 1\r\n")
                    still_open = {
                        "never reading": rdap.holds(local_ports(readless)),
                        "never finishing a request": rdap.holds(local_ports(slowloris)),
                    }
                    if not any(still_open.values()):
                        released = f"{time.monotonic() - started:.2f} s"
                        break
                    await asyncio.sleep(0.25)
    after = (await settled(rdap))[0]

    figure("RDAP clients that never read or never finish", load.outcomes, load.outcomes,
           bad_connections=2 * BAD_CONNECTIONS,
           released_after=released or f"never; after {RDAP_DEADLINE} s {still_open}",
           descriptors=f"{before} -> {after}")
    assert wrong(load.outcomes) == []
    assert all(o.kind == "ok" for o in load.outcomes)
    assert worst(load.outcomes) < HEALTHY_SECONDS
    assert_no_leak(before, after)
    assert_logs_clean([rdap], secrets)
    # Each bad connection closed by the service within its deadline.
    assert still_open == {"never reading": 0, "never finishing a request": 0}, (
        f"RDAP connections still open {RDAP_DEADLINE} s after they stalled")


async def test_whois_cuts_off_clients_that_send_nothing_or_never_read(
    cluster: Cluster, launch: Launcher, secrets: frozenset[str]
) -> None:
    whois = await launch("whois")
    timeout = aiohttp.ClientTimeout(total=HANG_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load = Load(session, secrets)
        probes = public_probes(load, "healthy", whois=whois.port)
        await load.learn(probes)
        before = (await settled(whois))[0]
        # From two other addresses: the per-address cap must not touch the healthy ones.
        half = BAD_CONNECTIONS // 2
        with connections(whois.port, [b""] * half, source="127.0.0.9") as silent, \
                connections(whois.port, [b"example.coop\r\n"] * half, source="127.0.0.10",
                            window=4096) as readless:
            started = time.monotonic()
            async with load.running(probes):
                silent_closed = await until(
                    lambda: whois.holds(local_ports(silent)) == 0, WHOIS_READ_DEADLINE)
                readless_closed = await until(
                    lambda: whois.holds(local_ports(readless)) == 0,
                    WHOIS_WRITE_DEADLINE - (time.monotonic() - started))
            # What each got before it was closed: the timeout line, or its whole answer.
            replies = [_received(connection) for connection in silent + readless]
    after = (await settled(whois))[0]

    figure("WHOIS clients that send nothing or never read", load.outcomes, load.outcomes,
           bad_connections=BAD_CONNECTIONS,
           silent_closed_after=f"{silent_closed:.2f} s",
           readless_closed_after=f"{readless_closed:.2f} s",
           descriptors=f"{before} -> {after}")
    assert wrong(load.outcomes) == []
    assert all(o.kind == "ok" for o in load.outcomes)
    assert worst(load.outcomes) < HEALTHY_SECONDS
    assert replies[: len(silent)] == [TIMEOUT_LINE + "\r\n"] * len(silent)
    for reply in replies[len(silent):]:
        assert "Domain Name: EXAMPLE.COOP" in reply
        assert whois_problems(reply.encode(), secrets) == []
    assert_no_leak(before, after)
    assert_logs_clean([whois], secrets)


def _received(connection: socket.socket) -> str:
    connection.settimeout(2.0)
    received = b""
    with contextlib.suppress(OSError):
        while chunk := connection.recv(65536):
            received += chunk
    return received.decode("utf-8", "replace")
