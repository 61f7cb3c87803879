"""The personal-data quota: pure arithmetic, both stores, and its effect on answers."""

from __future__ import annotations

import dataclasses
import uuid

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from rdap_coop.app import create_app
from rdap_coop.core.config import Settings
from rdap_coop.core.queries import Registry
from rdap_coop.core.quota import (
    InProcessQuotaStore,
    QuotaPolicy,
    QuotaState,
    RedisQuotaStore,
    account,
)
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from tests.conftest import PROXY_HEADERS, SampleDatabase, make_settings
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer

POLICY = QuotaPolicy(daily_contacts=5, strikes_for_long_block=3, strike_window_days=30,
                     long_block_days=30)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4)), max_size=60))
def test_never_more_than_the_daily_quota_in_a_day(steps: list[tuple[int, int]]) -> None:
    state, today = QuotaState(), 100
    shown_by_day: dict[int, int] = {}
    for day_step, contacts in steps:
        today += day_step
        state, allowed = account(state, today, contacts, POLICY)
        if allowed:
            shown_by_day[today] = shown_by_day.get(today, 0) + contacts
    assert all(shown <= POLICY.daily_contacts for shown in shown_by_day.values())


def test_the_quota_resets_each_day() -> None:
    state, allowed = account(QuotaState(), 10, 5, POLICY)
    assert allowed
    state, allowed = account(state, 10, 1, POLICY)
    assert not allowed
    state, allowed = account(state, 11, 5, POLICY)
    assert allowed


def test_repeated_excess_escalates_to_a_long_block() -> None:
    state = QuotaState()
    for day in (1, 2):
        state, _ = account(state, day, 6, POLICY)  # one strike a day, however often
        state, _ = account(state, day, 6, POLICY)
    assert state.strikes == 2 and state.blocked_until_day < 0
    state, _ = account(state, 3, 6, POLICY)
    assert state.blocked_until_day == 33
    # Blocked: even a small, within-quota request gets the redacted view ...
    for day in (4, 20, 32):
        state, allowed = account(state, day, 1, POLICY)
        assert not allowed
    # ... until the block ends.
    state, allowed = account(state, 33, 1, POLICY)
    assert allowed


def test_strikes_outside_the_window_do_not_add_up() -> None:
    state = QuotaState()
    for day in (1, 40, 80):
        state, _ = account(state, day, 6, POLICY)
    assert state.blocked_until_day < 0


async def test_in_process_store_is_bounded() -> None:
    store = InProcessQuotaStore(max_keys=100)
    for n in range(1000):
        await store.charge(f"ip:192.0.2.{n}", 1, 1, POLICY)
    assert len(store._states) <= 100


async def test_redis_store_follows_the_same_arithmetic(test_redis_url: str) -> None:
    client: Redis = Redis.from_url(test_redis_url)
    try:
        first = RedisQuotaStore(client, InProcessQuotaStore())
        second = RedisQuotaStore(client, InProcessQuotaStore())
        key = f"test:{uuid.uuid4().hex}"
        state = QuotaState()
        for day, contacts in [(1, 3), (1, 2), (1, 1), (2, 6), (3, 6), (4, 1), (40, 1)]:
            state, expected = account(state, day, contacts, POLICY)
            store = first if contacts % 2 else second  # two instances, one state
            assert await store.charge(key, contacts, day, POLICY) == expected
    finally:
        await client.aclose()


async def test_unreachable_redis_falls_back_to_memory() -> None:
    client: Redis = Redis.from_url("redis://127.0.0.1:1", socket_connect_timeout=0.1)
    try:
        store = RedisQuotaStore(client, InProcessQuotaStore())
        assert await store.charge("k", 5, 1, POLICY)
        assert store.degraded
        assert not await store.charge("k", 1, 1, POLICY)
    finally:
        await client.aclose()


def as_client(address: str) -> dict[str, str]:
    return {**PROXY_HEADERS, "X-Forwarded-For": address}


def registrant_name(document: dict[str, object]) -> str:
    entities = document["entities"]
    assert isinstance(entities, list)
    registrant = next(e for e in entities if e["roles"] == ["registrant"])
    return str(next(p for p in registrant["vcardArray"][1] if p[0] == "fn")[3])


async def test_past_the_quota_consented_data_is_redacted_in_rdap_and_whois(
    test_database: SampleDatabase, registry: Registry
) -> None:
    # open-books.coop shows two contacts with personal data (registrant and tech).
    settings: Settings = make_settings(
        test_database.reader_dsn, personal_data_daily_contacts="2"
    )
    limits = build_rate_limiter(settings.rate_limit)
    client: Client = TestClient(TestServer(create_app(settings, registry, limits)))
    await client.start_server()
    whois = WhoisServer(registry, settings.whois, limits)
    await whois.start(hosts=["127.0.0.1"], port=0)
    try:
        first = orjson.loads(await (await client.get(
            "/domain/open-books.coop", headers=as_client("192.0.2.50"))).read())
        assert registrant_name(first) == "Priya Shah"
        second = orjson.loads(await (await client.get(
            "/domain/open-books.coop", headers=as_client("192.0.2.50"))).read())
        assert registrant_name(second) == ""
        reasons = {
            entry["name"]["type"]: entry["reason"]["description"] for entry in second["redacted"]
        }
        assert reasons["Registrant Name"] == "Personal-data quota exceeded"
        assert reasons["Registrant Street"] == "Server policy"
        assert "Priya Shah" not in orjson.dumps(second).decode()
        # Another client is unaffected; domains without personal data cost nothing.
        other = orjson.loads(await (await client.get(
            "/domain/open-books.coop", headers=as_client("192.0.2.51"))).read())
        assert registrant_name(other) == "Priya Shah"
        # Port 43 draws on the same quota (its client is 127.0.0.1).
        for _ in range(2):
            reply = (await ask_whois(whois.ports[0], b"open-books.coop\r\n")).decode()
        assert "Registrant Name: REDACTED FOR PRIVACY" in reply
        assert "Priya Shah" not in reply
    finally:
        await whois.stop()
        await client.close()
        await limits.close()


def test_policy_settings_reach_the_quota(test_database: SampleDatabase) -> None:
    settings = make_settings(
        test_database.reader_dsn,
        personal_data_daily_contacts="7",
        personal_data_long_block_days="2",
    )
    quota = build_rate_limiter(settings.rate_limit).quota
    assert dataclasses.astuple(quota.policy) == (7, 3, 30, 2)


@pytest.mark.parametrize("contacts", [0, -1])
async def test_nothing_to_show_costs_nothing(contacts: int) -> None:
    from rdap_coop.core.quota import PersonalDataQuota

    quota = PersonalDataQuota(InProcessQuotaStore(), dataclasses.replace(POLICY, daily_contacts=1))
    assert await quota.admit("k", contacts)
    assert await quota.admit("k", 1)
