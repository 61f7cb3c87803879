"""Caching: fetched objects briefly in process, public answers revalidated by ETag."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rdap_coop.app import create_app
from rdap_coop.app_keys import BODY_CACHE
from rdap_coop.core.access import build_access_control
from rdap_coop.core.cache import LookupCache
from rdap_coop.core.config import AccessSettings, Settings
from rdap_coop.core.names import parse_domain_name
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle, build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from tests.conftest import PROXY_HEADERS, SampleDatabase, make_settings
from tests.conftest import RdapClient as Client
from tests.rdap.test_access import Accredited, accredit
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer


def test_entries_expire_and_the_oldest_go_first() -> None:
    now = [0.0]
    cache: LookupCache[str] = LookupCache(ttl_seconds=10, max_entries=2, clock=lambda: now[0])
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"
    cache.put("c", "C")  # evicts b, the least recently used
    assert cache.get("b") is None and cache.get("c") == "C"
    now[0] = 10.0
    assert cache.get("a") is None and len(cache) == 1
    disabled: LookupCache[str] = LookupCache(ttl_seconds=0)
    disabled.put("a", "A")
    assert disabled.get("a") is None


@pytest.fixture
async def cached_registry(settings: Settings) -> AsyncIterator[Registry]:
    replicas = await ReplicaSet.open(settings.database)
    try:
        yield Registry(replicas, cache=LookupCache(ttl_seconds=30))
    finally:
        await replicas.close()


async def test_repeat_lookups_come_from_the_cache(cached_registry: Registry) -> None:
    name = parse_domain_name("example.coop")
    first = await cached_registry.fetch_domain(name)
    second = await cached_registry.fetch_domain(name)
    assert second is first


async def test_the_cache_never_carries_one_viewers_disclosure_to_another(
    settings: Settings, cached_registry: Registry, limiter: LimiterHandle, tmp_path: Path
) -> None:
    accredited: Accredited = accredit(tmp_path)
    access = build_access_control(AccessSettings(accredited.clients_file, accredited.audit_log))
    client: Client = TestClient(
        TestServer(create_app(settings, cached_registry, limiter, None, access)))
    await client.start_server()
    try:
        udrp = {**PROXY_HEADERS, "Authorization": f"Bearer {accredited.tokens['udrp']}"}
        # A public answer first, so the shared body cache holds this very URL...
        first_public = await client.get("/domain/disputed.coop", headers=PROXY_HEADERS)
        assert "Alex Morgan" not in (await first_public.text())
        assert len(client.app[BODY_CACHE]) == 1
        # ...and still the accredited viewer gets its own, fuller view.
        full = await client.get("/domain/disputed.coop", headers=udrp)
        assert "Alex Morgan" in (await full.text())
        public = await client.get("/domain/disputed.coop", headers=PROXY_HEADERS)
        assert "Alex Morgan" not in (await public.text())
        assert "ETag" not in full.headers  # private answers are never revalidated
    finally:
        await client.close()


async def test_public_answers_are_rendered_once_per_url(rdap: Client) -> None:
    first = await rdap.get("/domain/example.coop", headers=PROXY_HEADERS)
    second = await rdap.get("/domain/example.coop", headers=PROXY_HEADERS)
    assert await first.read() == await second.read()
    assert len(rdap.app[BODY_CACHE]) == 1
    # open-books.coop shows consented personal data: kept too, with its over-quota
    # twin, and the quota is charged on every answer (tests/core/test_quota.py).
    await rdap.get("/domain/open-books.coop", headers=PROXY_HEADERS)
    assert len(rdap.app[BODY_CACHE]) == 2


async def test_public_answers_carry_an_etag_and_revalidate(rdap: Client) -> None:
    first = await rdap.get("/domain/example.coop", headers=PROXY_HEADERS)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public")
    again = await rdap.get("/domain/example.coop",
                           headers={**PROXY_HEADERS, "If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    changed = await rdap.get("/domain/example.coop",
                             headers={**PROXY_HEADERS, "If-None-Match": '"other"'})
    assert changed.status == 200
    assert orjson.loads(await changed.read())["ldhName"] == "example.coop"
    missing = await rdap.get("/domain/nothing-4711.coop", headers=PROXY_HEADERS)
    assert "ETag" not in missing.headers


async def test_whois_shares_public_replies_but_never_with_an_allow_listed_range(
    test_database: SampleDatabase, cached_registry: Registry, tmp_path: Path
) -> None:
    accredited: Accredited = accredit(tmp_path)  # 127.0.0.2 is allow-listed for police
    access = build_access_control(AccessSettings(accredited.clients_file, accredited.audit_log))
    # open-books.coop shows two contacts' consented personal data: one answer's worth.
    settings = make_settings(test_database.reader_dsn, personal_data_daily_contacts="2")
    limits = build_rate_limiter(settings.rate_limit)
    server = WhoisServer(cached_registry, settings.whois, limits, access=access)
    await server.start(hosts=["127.0.0.1"], port=0)

    async def ask(query: bytes, source: str = "127.0.0.1") -> str:
        return (await ask_whois(server.ports[0], query + b"\r\n", source=source)).decode()

    try:
        first = await ask(b"disputed.coop")
        assert "Registrant Name: REDACTED FOR PRIVACY" in first
        assert len(server.context.public_replies) == 1
        assert await ask(b"DISPUTED.coop") == first  # the same name, any spelling
        # The allow-listed range gets its own full view, never the shared public text...
        assert "Registrant Name: Alex Morgan" in await ask(b"disputed.coop", "127.0.0.2")
        # ...and a shared reply showing consented personal data still charges the quota.
        assert "priya.shah@open-books.test" in await ask(b"open-books.coop")
        assert len(server.context.public_replies) == 2
        over = await ask(b"open-books.coop")
        assert "Priya Shah" not in over and "priya.shah@open-books.test" not in over
        assert "Registrant Name: REDACTED FOR PRIVACY" in over
    finally:
        await server.stop()
        await limits.close()
