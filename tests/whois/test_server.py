"""Port 43 end to end: a real server on a real socket over the real sample registry."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from rdap_coop.core.config import Settings, WhoisSettings
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle, build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from tests.conftest import SampleDatabase
from whois_coop import render
from whois_coop.server import WhoisServer

GOLDEN = Path(__file__).parent.parent / "golden"
FAST_LIMITS = {
    "read_timeout_seconds": 0.5,
    "connection_deadline_seconds": 3.0,
    "max_connections_per_address": 3,
}


@pytest.fixture
async def whois(
    settings: Settings, registry: Registry, limiter: LimiterHandle
) -> AsyncIterator[WhoisServer]:
    limits = dataclasses.replace(settings.whois, **FAST_LIMITS)  # type: ignore[arg-type]
    server = WhoisServer(registry, limits, limiter)
    await server.start(hosts=["127.0.0.1"], port=0)
    try:
        yield server
    finally:
        await server.stop()


async def exchange(
    server: WhoisServer, payload: bytes, *, source: str = "127.0.0.1"
) -> bytes:
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", server.ports[0], local_addr=(source, 0)
    )
    try:
        # A server that refuses the connection may already have closed its side.
        with contextlib.suppress(ConnectionError, OSError):
            writer.write(payload)
            writer.write_eof()  # as whois clients do; also ends an unterminated line
            await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()


def text_of(reply: bytes) -> str:
    text = reply.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "bare LF in reply"
    assert "\r" not in text.replace("\r\n", ""), "bare CR in reply"
    return text


GOLDEN_QUERIES = {
    "whois-domain-example": b"example.coop\r\n",
    "whois-domain-idn-ulabel": "coopérative.coop\r\n".encode(),
    "whois-domain-idn-cjk": "協同組合.coop\r\n".encode(),
    "whois-domain-disputed": b"domain DISPUTED.COOP\r\n",
    "whois-domain-open-books": b"open-books.coop\r\n",
    "whois-domain-expiring": b"=expiring.coop\n",
    "whois-domain-reserved": b"housing.coop\r\n",
    "whois-domain-not-found": b"unregistered-name-4711.coop\r\n",
    "whois-nameserver": b"nameserver ns1.example.coop\r\n",
    "whois-nameserver-by-ip": b"nameserver 192.0.2.53\r\n",
    "whois-registrar": b"registrar 1234\r\n",
    "whois-help": b"help\r\n",
    "whois-invalid": b"exa_mple.coop\r\n",
}


@pytest.mark.parametrize("name", sorted(GOLDEN_QUERIES))
async def test_golden_reply(
    whois: WhoisServer, request: pytest.FixtureRequest, name: str
) -> None:
    reply = text_of(await exchange(whois, GOLDEN_QUERIES[name]))
    path = GOLDEN / f"{name}.txt"
    if request.config.getoption("--update-golden"):
        path.write_bytes(reply.encode("utf-8"))
    assert path.exists(), f"no golden file {path.name}; run pytest --update-golden"
    assert reply == path.read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    "query",
    [b"EXAMPLE.COOP\r\n", b"example.coop.\r\n", b"domain example.coop\n", b"=example.coop\r\n",
     b"xn--cooprative-e7a.coop\r\n", b"example.coop"],
)
async def test_query_forms_reach_the_record(whois: WhoisServer, query: bytes) -> None:
    text = text_of(await exchange(whois, query))
    assert "Registry Domain ID: D" in text
    assert ">>> Last update of WHOIS database: " in text


async def test_registrar_by_name_matches_by_id(whois: WhoisServer) -> None:
    by_id = text_of(await exchange(whois, b"registrar 1234\r\n"))
    by_name = text_of(await exchange(whois, b"registrar cooperative names registrar ltd\r\n"))
    assert by_id == by_name


@pytest.mark.parametrize(
    "payload",
    [b"\x00\x01\x02\xff\r\n", b"\xff\xfe\xfd\r\n", b"\r\n", b"contact C1-COOP\r\n",
     b"exa\rmple.coop\r\n", b"-B example.coop\r\n"],
)
async def test_garbage_gets_one_invalid_query_line(whois: WhoisServer, payload: bytes) -> None:
    text = text_of(await exchange(whois, payload))
    assert text == render.render_failure_line(render.Failure.INVALID_QUERY)


async def test_overlong_line_is_refused(whois: WhoisServer) -> None:
    text = text_of(await exchange(whois, b"a" * 5000))
    assert text == render.render_failure_line(render.Failure.TOO_LONG)


async def test_only_the_first_line_is_answered(whois: WhoisServer) -> None:
    text = text_of(await exchange(whois, b"example.coop\r\nregistrar 1234\r\n"))
    assert "Domain Name: " in text
    assert "Phone Number:" not in text


async def test_silent_client_is_cut_off(whois: WhoisServer) -> None:
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", whois.ports[0])
    reply = await asyncio.wait_for(reader.read(), 3)
    writer.close()
    assert reply.decode() == render.render_failure_line(render.Failure.TIMEOUT)
    assert time.monotonic() - started < 2


async def test_trickling_client_is_cut_off_at_the_read_deadline(whois: WhoisServer) -> None:
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", whois.ports[0])
    reading = asyncio.create_task(reader.read())
    for byte in b"example.coop" * 3:
        if reading.done():
            break
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.1)
    reply = await asyncio.wait_for(reading, 3)
    writer.close()
    assert reply.decode() == render.render_failure_line(render.Failure.TIMEOUT)
    assert time.monotonic() - started < 2


async def test_connection_flood_is_refused_politely_and_others_are_served(
    whois: WhoisServer,
) -> None:
    held = [await asyncio.open_connection("127.0.0.1", whois.ports[0]) for _ in range(3)]
    try:
        await asyncio.sleep(0.05)
        refused = await exchange(whois, b"example.coop\r\n")
        assert refused.decode() == render.render_failure_line(render.Failure.TOO_MANY)
        # Another client address is still served while the first one is at its cap.
        other = text_of(await exchange(whois, b"example.coop\r\n", source="127.0.0.2"))
        assert "Domain Name: " in other
    finally:
        for _, writer in held:
            writer.close()
    await asyncio.sleep(0.05)
    assert "Domain Name: " in text_of(await exchange(whois, b"example.coop\r\n"))
    assert whois.connection_count == 0


async def test_stop_lets_an_in_flight_reply_finish(
    settings: Settings, registry: Registry, limiter: LimiterHandle, test_database: SampleDatabase
) -> None:
    limits: WhoisSettings = dataclasses.replace(settings.whois, shutdown_grace_seconds=3.0)
    server = WhoisServer(registry, limits, limiter)
    await server.start(hosts=["127.0.0.1"], port=0)
    port = server.ports[0]
    blocker = await asyncpg.connect(test_database.admin_dsn)
    try:
        # Hold the lookup inside the database so the reply is surely in flight.
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE domain IN ACCESS EXCLUSIVE MODE")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"example.coop\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)
        assert server.replies, "the query should be in flight"
        stopping = asyncio.create_task(server.stop())
        await asyncio.sleep(0.3)
        await transaction.rollback()
        await stopping
        reply = await asyncio.wait_for(reader.read(), 3)
        writer.close()
    finally:
        await blocker.close()
    assert b"Domain Name: EXAMPLE.COOP" in reply
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


def test_serves_under_uvloop(settings: Settings) -> None:
    """Production runs on uvloop, whose transports differ from asyncio's."""
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> bytes:
        replicas = await ReplicaSet.open(settings.database)
        server = WhoisServer(Registry(replicas), settings.whois, build_rate_limiter(
            dataclasses.replace(settings.rate_limit, redis_url=None)))
        await server.start(hosts=["127.0.0.1"], port=0)
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.ports[0])
            writer.write(b"example.coop\r\n")
            reply = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            return reply
        finally:
            await server.stop()
            await replicas.close()

    assert b"Domain Name: EXAMPLE.COOP" in uvloop.run(scenario())


async def test_an_overlong_line_still_gets_its_reply_not_a_reset(whois: WhoisServer) -> None:
    # The server answers after max_query_bytes while the client is still sending; closing
    # then with unread bytes would reset the connection and could destroy the reply.
    reader, writer = await asyncio.open_connection("127.0.0.1", whois.ports[0])
    try:
        writer.write(b"x" * 300_000)
        await writer.drain()
        writer.write_eof()
        reply = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await writer.wait_closed()
    assert reply.decode() == render.render_failure_line(render.Failure.TOO_LONG)
