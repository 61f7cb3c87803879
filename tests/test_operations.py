"""What operators see: probes on the public port, and one access line per query."""

from __future__ import annotations

import logging

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rdap_coop.app import create_app
from rdap_coop.core.config import Settings
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle
from tests.conftest import PROXY_HEADERS
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer

CLIENT = {**PROXY_HEADERS, "X-Forwarded-For": "192.0.2.9"}


async def test_health_and_readiness_are_probes_not_queries(
    settings: Settings, registry: Registry, limiter: LimiterHandle
) -> None:
    metrics = Metrics()
    client: Client = TestClient(TestServer(create_app(settings, registry, limiter, metrics)))
    await client.start_server()
    try:
        health = await client.get("/health", headers=CLIENT)
        assert health.status == 200
        assert orjson.loads(await health.read()) == {"status": "ok"}
        assert health.headers["Cache-Control"] == "no-store"
        assert "RateLimit-Remaining" not in health.headers
        # The sample's last change is old by design, and no check has run yet.
        ready = await client.get("/ready", headers=CLIENT)
        assert ready.status == 503
        assert orjson.loads(await ready.read())["status"] == "not ready"
        assert b"rdap_coop_requests_total{" not in metrics.exposition()
    finally:
        await client.close()


async def test_every_query_leaves_one_access_line_without_query_strings(
    settings: Settings, registry: Registry, limiter: LimiterHandle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    # As service.py runs it: aiohttp's own access log (which would print query
    # strings) off, ours on.
    server = TestServer(create_app(settings, registry, limiter))
    await server.start_server(access_log=None)
    client: Client = TestClient(server)
    await client.start_server()
    whois = WhoisServer(registry, settings.whois, limiter)
    await whois.start(hosts=["127.0.0.1"], port=0)
    try:
        lookup = await client.get("/domain/open-books.coop", headers=CLIENT)
        search = await client.get("/entities?fn=Priya%20Shah", headers=CLIENT)
        reply = await ask_whois(whois.ports[0], b"open-books.coop\r\n")
    finally:
        await whois.stop()
        await client.close()
    assert b"priya.shah@open-books.test" in reply  # consented: shown to the asker...
    lines = [r for r in caplog.records if r.name == "rdap_coop.access"]
    assert [r.__dict__["service"] for r in lines] == ["rdap", "rdap", "whois"]
    first, second, third = lines
    assert first.__dict__["request_id"] == lookup.headers["X-Request-Id"]
    assert second.__dict__["request_id"] == search.headers["X-Request-Id"]
    assert first.__dict__["client"] == "ip:192.0.2.9" and first.__dict__["status"] == 200
    assert second.__dict__["path"] == "/entities" and second.__dict__["kind"] == "search"
    assert third.__dict__["kind"] == "domain" and third.__dict__["outcome"] == "ok"
    # ...but nothing personal reaches any log line, access or otherwise.
    for record in caplog.records:
        text = record.getMessage() + repr(vars(record))
        assert "Priya" not in text and "priya.shah" not in text
