"""Metrics: counted on both front ends, closed label sets, an internal listener."""

from __future__ import annotations

import asyncio
import dataclasses
import urllib.error
import urllib.request

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from rdap_coop.app import create_app
from rdap_coop.core.config import Settings
from rdap_coop.core.internal_http import InternalEndpoints, serve_internal
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from tests.conftest import PROXY_HEADERS, SampleDatabase, make_settings
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(metrics.exposition().decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_requests_limits_and_quota_are_counted_without_names(
    test_database: SampleDatabase, registry: Registry
) -> None:
    settings = make_settings(
        test_database.reader_dsn,
        rate_limit_public_burst="4",
        rate_limit_public_per_second="0.01",
        rate_limit_search_cost="1",
        personal_data_daily_contacts="2",
    )
    limits = build_rate_limiter(settings.rate_limit)
    metrics = Metrics()
    metrics.watch_store(lambda: limits.degraded)
    client: Client = TestClient(TestServer(create_app(settings, registry, limits, metrics)))
    await client.start_server()
    whois = WhoisServer(registry, settings.whois, limits, metrics=metrics)
    await whois.start(hosts=["127.0.0.1"], port=0)
    try:
        for path in ("/domain/example.coop", "/domain/nothing-here.coop",
                     "/domain/open-books.coop", "/domain/open-books.coop", "/help"):
            await client.get(path, headers={**PROXY_HEADERS, "X-Forwarded-For": "192.0.2.9"})
        await ask_whois(whois.ports[0], b"example.coop\r\n")
    finally:
        await whois.stop()
        await client.close()
    found = samples(metrics)

    def value(name: str, **labels: str) -> float:
        return found.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("rdap_coop_requests_total", service="rdap", kind="domain", outcome="ok") == 3
    assert value("rdap_coop_requests_total", service="rdap", kind="domain",
                 outcome="not_found") == 1
    assert value("rdap_coop_requests_total", service="rdap", kind="help",
                 outcome="rate_limited") == 1
    assert value("rdap_coop_requests_total", service="whois", kind="domain", outcome="ok") == 1
    assert value("rdap_coop_rate_limit_decisions_total", service="rdap", tier="public",
                 outcome="refused") == 1
    assert value("rdap_coop_personal_data_quota_decisions_total", service="rdap",
                 outcome="within") == 1
    assert value("rdap_coop_personal_data_quota_decisions_total", service="rdap",
                 outcome="exceeded") == 1
    assert value("rdap_coop_rate_limit_store_degraded") == 0
    exposition = metrics.exposition().decode()
    for forbidden in ("example.coop", "open-books", "192.0.2.9", "127.0.0.1"):
        assert forbidden not in exposition


async def test_metrics_health_and_readiness_are_served_on_an_internal_port(
    settings: Settings,
) -> None:
    metrics = Metrics()
    metrics.count_request("rdap", "domain", "ok")
    # The sample registry's last change is years old by design (stable golden files):
    # ready only under a threshold that old.
    replicas = await ReplicaSet.open(
        dataclasses.replace(settings.database, ready_max_lag_seconds=1e10)
    )
    server = await serve_internal(
        InternalEndpoints(metrics.exposition, replicas.readiness), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]

    def get(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    try:
        status, body = await asyncio.to_thread(get, "/metrics")
        assert status == 200
        assert 'rdap_coop_requests_total{kind="domain",outcome="ok",service="rdap"} 1.0' in body
        assert await asyncio.to_thread(get, "/health") == (200, '{"status":"ok"}')
        # Not checked yet: no replica is known to be reachable and fresh.
        status, body = await asyncio.to_thread(get, "/ready")
        assert status == 503 and '"not ready"' in body
        await replicas.check()
        status, body = await asyncio.to_thread(get, "/ready")
        assert status == 200 and '"ready"' in body
        assert (await asyncio.to_thread(get, "/nothing"))[0] == 404
    finally:
        server.close()
        await server.wait_closed()
        await replicas.close()
