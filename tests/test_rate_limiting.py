"""The one limiter, seen from the wire: RDAP 429s, WHOIS refusals, one shared budget."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rdap_coop.app import create_app
from rdap_coop.core.config import Settings
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle, build_rate_limiter
from tests.conftest import PROXY_HEADERS, SampleDatabase, make_settings
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop import render
from whois_coop.server import WhoisServer

BURST = 3


@pytest.fixture
def tight_settings(test_database: SampleDatabase) -> Settings:
    return make_settings(
        test_database.reader_dsn,
        rate_limit_public_burst=str(BURST),
        rate_limit_public_per_second="0.2",
        rate_limit_search_cost=str(BURST),
    )


@contextlib.asynccontextmanager
async def rdap_instance(
    settings: Settings, registry: Registry, limiter: LimiterHandle
) -> AsyncIterator[Client]:
    client: Client = TestClient(TestServer(create_app(settings, registry, limiter)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def as_client(address: str) -> dict[str, str]:
    """Requests from ``address``, forwarded by the trusted proxy the tests run behind."""
    return {**PROXY_HEADERS, "X-Forwarded-For": address}


async def test_rdap_client_over_budget_gets_429_while_others_are_served(
    tight_settings: Settings, registry: Registry
) -> None:
    limiter = build_rate_limiter(tight_settings.rate_limit)
    async with rdap_instance(tight_settings, registry, limiter) as rdap:
        statuses = []
        for _ in range(BURST):
            response = await rdap.get("/domain/example.coop", headers=as_client("192.0.2.10"))
            statuses.append(response.status)
            assert response.headers["RateLimit-Limit"] == str(BURST)
        assert statuses == [200] * BURST
        # A not-found lookup costs the same: probing pays.
        refused = await rdap.get("/domain/no-such-name.coop", headers=as_client("192.0.2.10"))
        assert refused.status == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["RateLimit-Remaining"] == "0"
        assert refused.headers["Content-Type"] == "application/rdap+json"
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
        body = orjson.loads(await refused.read())
        assert body["errorCode"] == 429
        other = await rdap.get("/domain/example.coop", headers=as_client("192.0.2.11"))
        assert other.status == 200


async def test_headers_on_error_answers_and_ipv6_aggregation(
    tight_settings: Settings, registry: Registry
) -> None:
    limiter = build_rate_limiter(tight_settings.rate_limit)
    async with rdap_instance(tight_settings, registry, limiter) as rdap:
        first = await rdap.get("/domain/a..coop", headers=as_client("2001:db8:1:2::1"))
        assert first.status == 400
        assert first.headers["RateLimit-Remaining"] == str(BURST - 1)
        # Another address in the same /64 spends the same budget.
        for _ in range(BURST - 1):
            response = await rdap.get("/help", headers=as_client("2001:db8:1:2::ffff"))
            assert response.status == 200
        refused = await rdap.get("/help", headers=as_client("2001:db8:1:2:abcd::9"))
        assert refused.status == 429
        assert (await rdap.get("/help", headers=as_client("2001:db8:1:3::1"))).status == 200


async def test_spoofed_forwarded_for_from_an_untrusted_peer_buys_nothing(
    tight_settings: Settings, registry: Registry
) -> None:
    untrusted = dataclasses.replace(
        tight_settings, rdap=dataclasses.replace(tight_settings.rdap, trusted_proxies=())
    )
    limiter = build_rate_limiter(untrusted.rate_limit)
    async with rdap_instance(untrusted, registry, limiter) as rdap:
        statuses = [
            (await rdap.get("/help", headers={"X-Forwarded-For": f"198.51.100.{n}"})).status
            for n in range(BURST + 1)
        ]
    assert statuses == [200] * BURST + [429]


async def test_monitoring_probes_are_exempt(
    test_database: SampleDatabase, registry: Registry
) -> None:
    settings = make_settings(
        test_database.reader_dsn,
        rate_limit_public_burst="1",
        rate_limit_search_cost="1",
        rate_limit_exempt_networks="203.0.113.0/24",
    )
    limiter = build_rate_limiter(settings.rate_limit)
    async with rdap_instance(settings, registry, limiter) as rdap:
        for _ in range(5):
            response = await rdap.get("/help", headers=as_client("203.0.113.5"))
            assert response.status == 200
            assert "RateLimit-Limit" not in response.headers


async def whois_query(server: WhoisServer, line: bytes) -> str:
    return (await ask_whois(server.ports[0], line)).decode()


async def test_rdap_and_whois_share_one_budget(
    tight_settings: Settings, registry: Registry
) -> None:
    limiter = build_rate_limiter(tight_settings.rate_limit)
    whois = WhoisServer(registry, tight_settings.whois, limiter)
    await whois.start(hosts=["127.0.0.1"], port=0)
    try:
        async with rdap_instance(tight_settings, registry, limiter) as rdap:
            # Without a proxy in between, the RDAP client is 127.0.0.1, as on port 43.
            for _ in range(BURST - 1):
                assert (await rdap.get("/domain/example.coop")).status == 200
            assert "Domain Name: EXAMPLE.COOP" in await whois_query(whois, b"example.coop\r\n")
            refused = await whois_query(whois, b"example.coop\r\n")
            assert refused == render.render_failure_line(render.Failure.RATE_LIMITED)
            assert (await rdap.get("/domain/example.coop")).status == 429
    finally:
        await whois.stop()


async def test_two_instances_share_one_budget_through_redis(
    tight_settings: Settings, registry: Registry, test_redis_url: str
) -> None:
    shared = dataclasses.replace(
        tight_settings.rate_limit, redis_url=test_redis_url, public_per_second=0.01
    )
    handles: list[LimiterHandle] = [build_rate_limiter(shared), build_rate_limiter(shared)]
    # Fresh client addresses per run: the Redis server may outlive this test.
    run = uuid.uuid4().hex[:4]
    hammer, bystander = f"2001:db8:{run}:1::1", f"2001:db8:{run}:2::1"
    try:
        async with (
            rdap_instance(tight_settings, registry, handles[0]) as first,
            rdap_instance(tight_settings, registry, handles[1]) as second,
        ):
            admitted = 0
            for round_ in range(4 * BURST):
                instance = first if round_ % 2 == 0 else second
                response = await instance.get("/domain/example.coop", headers=as_client(hammer))
                admitted += response.status == 200
                if round_ % 4 == 0:  # a second client, well within its own budget
                    other = await instance.get(
                        "/domain/example.coop", headers=as_client(bystander)
                    )
                    assert other.status == 200
            assert admitted == BURST
            assert not any(handle.degraded for handle in handles)
    finally:
        for handle in handles:
            await handle.close()


async def test_a_search_costs_more_than_a_lookup(
    tight_settings: Settings, registry: Registry
) -> None:
    limiter = build_rate_limiter(tight_settings.rate_limit)
    async with rdap_instance(tight_settings, registry, limiter) as rdap:
        search = await rdap.get("/domains?name=exa*", headers=as_client("192.0.2.30"))
        assert search.headers["RateLimit-Remaining"] == "0"
        lookup = await rdap.get("/help", headers=as_client("192.0.2.30"))
        assert lookup.status == 429
