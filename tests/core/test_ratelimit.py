"""The rate limiter: GCRA arithmetic, client keys, and both stores against a real Redis."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator
from ipaddress import ip_address, ip_network
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from rdap_coop.core.errors import RateLimited
from rdap_coop.core.ratelimit import (
    UNKNOWN_CLIENT_KEY,
    Decision,
    FailoverStore,
    InProcessStore,
    Limit,
    QueryCost,
    RateLimiter,
    RateLimitStore,
    RateLimitStoreUnavailable,
    authenticated_client_key,
    client_address,
    client_key,
    gcra,
    is_exempt,
    refusal,
)
from rdap_coop.core.ratelimit_redis import RedisStore, create_redis_client
from rdap_coop.core.redaction import AccessTier
from tests.redis_server import (
    REDIS_URL_VARIABLE,
    free_port,
    own_redis_server,
    redis_server_executable,
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)
SECOND = 1_000_000
EPOCH_US = 1_700_000_000 * SECOND  # the size of the numbers Redis's clock produces
PUBLIC = Limit(burst=100, rate_per_second=10.0)
# Slow enough that the milliseconds a test takes never refill a unit.
GLACIAL = Limit(burst=5, rate_per_second=0.01)
TRUSTED = (ip_network("10.0.0.0/8"), ip_network("::1/128"))
NO_REDIS = f"needs redis-server on PATH or {REDIS_URL_VARIABLE}"


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def run_requests(tat: int | None, now: int, count: int, limit: Limit) -> tuple[int | None, int]:
    """Send ``count`` one-unit requests at ``now``; return the state and how many passed."""
    admitted = 0
    for _ in range(count):
        tat, decision = gcra(tat, now, 1, limit)
        admitted += decision.allowed
    return tat, admitted


# -- the arithmetic ------------------------------------------------------------------


def test_public_defaults_admit_a_burst_then_ten_a_second() -> None:
    tat, admitted = run_requests(None, EPOCH_US, 100, PUBLIC)
    assert admitted == 100
    tat, refused = gcra(tat, EPOCH_US, 1, PUBLIC)
    assert refused == Decision(False, 100, 0, 1, 10)
    assert run_requests(tat, EPOCH_US + SECOND // 10, 2, PUBLIC)[1] == 1
    assert run_requests(tat, EPOCH_US + 10 * SECOND, 101, PUBLIC)[1] == 100


def test_decisions_report_remaining_and_reset() -> None:
    tat, first = gcra(None, EPOCH_US, 1, PUBLIC)
    assert first == Decision(True, 100, 99, 0, 1)
    _, search = gcra(tat, EPOCH_US, 10, PUBLIC)
    assert search == Decision(True, 100, 89, 0, 2)


def test_a_cost_above_the_burst_is_never_admitted() -> None:
    tat, decision = gcra(None, EPOCH_US, 6, GLACIAL)
    assert (tat, decision.allowed) == (None, False)
    assert decision.retry_after_seconds >= 1


@pytest.mark.parametrize(
    ("burst", "rate"), [(0, 1.0), (1, 0.0), (1, -1.0), (1, 2_000_000.0)]
)
def test_nonsense_limits_are_rejected(burst: int, rate: float) -> None:
    with pytest.raises(ValueError):
        Limit(burst=burst, rate_per_second=rate)


limits = st.builds(
    Limit,
    burst=st.integers(min_value=1, max_value=40),
    rate_per_second=st.sampled_from([0.3, 1.0, 3.0, 7.0, 10.0, 1000.0])
    | st.floats(min_value=0.01, max_value=1000.0),
)
# Deltas in microseconds; negative ones are a clock stepping back.
steps = st.lists(
    st.tuples(
        st.integers(min_value=-200_000, max_value=3 * SECOND),
        st.sampled_from([1.0, 1.0, 1.0, 2.0, 0.5, 3.0]),
    ),
    max_size=60,
)


def replay(limit: Limit, requests: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Run the requests, checking state rules at each step; return the admitted ones."""
    tat: int | None = None
    now = EPOCH_US
    admitted = []
    for delta, cost in requests:
        now += delta
        new_tat, decision = gcra(tat, now, cost, limit)
        if decision.allowed:
            assert new_tat is not None and (tat is None or new_tat > tat)
            admitted.append((now, cost))
        else:
            assert new_tat == tat
        tat = new_tat
    return admitted


def assert_within_budget(limit: Limit, admitted: list[tuple[int, float]]) -> None:
    """No window [start, end] holds more than burst + rate x (end - start) units."""
    admitted = sorted(admitted)
    for i, (start, _) in enumerate(admitted):
        units = 0.0
        for end, cost in admitted[i:]:
            units += cost
            window_seconds = (end - start) / SECOND
            assert units <= limit.burst + limit.rate_per_second * window_seconds + 1e-9


@PROPERTY_SETTINGS
@given(limits, steps)
def test_never_more_than_burst_plus_rate_in_any_window(
    limit: Limit, requests: list[tuple[int, float]]
) -> None:
    assert_within_budget(limit, replay(limit, requests))


@PROPERTY_SETTINGS
@given(limits, st.lists(st.sampled_from([1.0, 2.0, 0.5]), min_size=1, max_size=150))
def test_a_greedy_client_gets_no_more_than_the_rate(limit: Limit, costs: list[float]) -> None:
    """A client that asks at the first microsecond each request is admitted."""
    tat: int | None = None
    now = EPOCH_US
    admitted = []
    for cost in costs:
        if tat is not None:
            now = max(now, tat + limit.increment_us(cost) - limit.tolerance_us)
        tat, decision = gcra(tat, now, cost, limit)
        assert decision.allowed == (cost <= limit.burst)
        if decision.allowed:
            admitted.append((now, cost))
    assert_within_budget(limit, admitted)


@PROPERTY_SETTINGS
@given(limits, steps)
def test_a_full_burst_after_waiting_for_the_refill(
    limit: Limit, requests: list[tuple[int, float]]
) -> None:
    tat: int | None = None
    now = EPOCH_US
    for delta, cost in requests:
        now += delta
        tat, _ = gcra(tat, now, cost, limit)
    drained_at = max(now, tat or now)
    tat, admitted = run_requests(tat, drained_at, limit.burst + 1, limit)
    assert admitted == limit.burst
    # burst / rate seconds, to the microsecond per unit that rounding may add
    refill_us = math.ceil(limit.burst / limit.rate_per_second * SECOND) + limit.burst
    assert run_requests(tat, drained_at + refill_us, limit.burst + 1, limit)[1] == limit.burst


@PROPERTY_SETTINGS
@given(limits, steps, st.sampled_from([1.0, 2.0, 0.5]))
def test_retry_after_is_the_whole_second_it_takes(
    limit: Limit, requests: list[tuple[int, float]], cost: float
) -> None:
    tat, _ = run_requests(None, EPOCH_US, limit.burst, limit)
    now = EPOCH_US
    for delta, step_cost in requests:
        now += delta
        tat, _ = gcra(tat, now, step_cost, limit)
    _, decision = gcra(tat, now, cost, limit)
    if decision.allowed or cost > limit.burst:
        return
    wait_us = decision.retry_after_seconds * SECOND
    assert gcra(tat, now + wait_us, cost, limit)[1].allowed
    assert not gcra(tat, now + wait_us - SECOND, cost, limit)[1].allowed


@PROPERTY_SETTINGS
@given(limits, steps, st.integers(min_value=0, max_value=5 * SECOND))
def test_an_earlier_clock_never_admits_what_a_later_one_refused(
    limit: Limit, requests: list[tuple[int, float]], skew_us: int
) -> None:
    tat: int | None = None
    now = EPOCH_US
    for delta, cost in requests:
        now += delta
        if not gcra(tat, now, cost, limit)[1].allowed:
            assert not gcra(tat, now - skew_us, cost, limit)[1].allowed
        tat, _ = gcra(tat, now, cost, limit)


# -- the in-process store ---------------------------------------------------------------


async def test_in_process_store_applies_the_arithmetic() -> None:
    clock = FakeClock()
    store = InProcessStore(clock=clock)
    decisions = [await store.consume("ip:192.0.2.7", 1, PUBLIC) for _ in range(101)]
    assert [d.allowed for d in decisions].count(True) == 100
    assert (await store.consume("ip:192.0.2.8", 1, PUBLIC)).allowed
    clock.now += 0.1
    assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed


def test_in_process_store_memory_is_bounded() -> None:
    clock = FakeClock()
    store = InProcessStore(max_keys=100, clock=clock)
    for number in range(1000):
        assert store.consume_now(f"ip:key-{number}", 1, PUBLIC).allowed
        assert len(store) <= 100
        clock.now += 0.001


def test_in_process_store_forgets_full_buckets_before_recent_clients() -> None:
    clock = FakeClock()
    store = InProcessStore(max_keys=10, clock=clock)
    for number in range(5):  # oldest, but drained: their buckets stay non-full for 10 s
        for _ in range(PUBLIC.burst):
            store.consume_now(f"drained-{number}", 1, PUBLIC)
    for number in range(5):  # newer, one unit each: full again after 0.1 s
        store.consume_now(f"light-{number}", 1, PUBLIC)
    clock.now += 1.0
    store.consume_now("newcomer", 1, PUBLIC)
    assert len(store) == 6
    for number in range(5):
        assert not store.consume_now(f"drained-{number}", 20, PUBLIC).allowed


# -- client keys ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "expected"),
    [
        ("192.0.2.7", None, "ip:192.0.2.7"),
        ("2001:db8:1:2::7", None, "ip:2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:1", None, "ip:2001:db8:1:2::/64"),
        ("2001:db8:1:3::7", None, "ip:2001:db8:1:3::/64"),
        ("::ffff:192.0.2.7", None, "ip:192.0.2.7"),
        ("fe80::1%eth0", None, "ip:fe80::/64"),
        # Untrusted peers cannot choose their key.
        ("198.51.100.9", "203.0.113.5", "ip:198.51.100.9"),
        ("198.51.100.9", "10.0.0.1, 203.0.113.5", "ip:198.51.100.9"),
        # Trusted proxies: the right-most hop that is not one of ours.
        ("10.0.0.1", "203.0.113.5", "ip:203.0.113.5"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.5", "ip:203.0.113.5"),
        ("10.0.0.1", "203.0.113.5, 10.0.0.2, 10.0.0.3", "ip:203.0.113.5"),
        ("10.0.0.1", "10.0.0.9, 10.0.0.2", "ip:10.0.0.9"),
        ("::1", "2001:db8:9:9::1", "ip:2001:db8:9:9::/64"),
        ("10.0.0.1", "203.0.113.5:4711", "ip:203.0.113.5"),
        ("10.0.0.1", "[2001:db8::1]:443", "ip:2001:db8::/64"),
        ("10.0.0.1", "", "ip:10.0.0.1"),
        ("10.0.0.1", " , ", "ip:10.0.0.1"),
        # Garbage shares one bucket rather than minting keys.
        ("10.0.0.1", "unknown", UNKNOWN_CLIENT_KEY),
        ("10.0.0.1", "203.0.113.5, <script>", UNKNOWN_CLIENT_KEY),
        ("not an address", None, UNKNOWN_CLIENT_KEY),
        (None, "203.0.113.5", UNKNOWN_CLIENT_KEY),
    ],
)
def test_client_key(peer: str | None, forwarded_for: str | None, expected: str) -> None:
    assert client_key(peer, forwarded_for, trusted_proxies=TRUSTED) == expected


def test_ipv6_aggregation_prefix_is_configurable() -> None:
    key = client_key("2001:db8:1:2::7", None, trusted_proxies=(), ipv6_prefix=48)
    assert key == "ip:2001:db8:1::/48"
    key = client_key("2001:db8:1:2::7", None, trusted_proxies=(), ipv6_prefix=128)
    assert key == "ip:2001:db8:1:2::7/128"


def test_no_trusted_proxies_means_no_header_is_believed() -> None:
    assert client_key("10.0.0.1", "203.0.113.5", trusted_proxies=()) == "ip:10.0.0.1"


def test_exemption_uses_the_unaggregated_address() -> None:
    probes = (ip_network("192.0.2.0/28"), ip_network("2001:db8:5::1/128"))
    address = client_address("10.0.0.1", "192.0.2.3", trusted_proxies=TRUSTED)
    assert is_exempt(address, probes)
    assert is_exempt(ip_address("2001:db8:5::1"), probes)
    assert not is_exempt(ip_address("2001:db8:5::2"), probes)
    spoofed = client_address("198.51.100.9", "192.0.2.3", trusted_proxies=TRUSTED)
    assert not is_exempt(spoofed, probes)
    assert not is_exempt(None, probes)


def test_authenticated_clients_have_their_own_key_space() -> None:
    assert authenticated_client_key("registrar-1234") == "client:registrar-1234"


# -- the limiter --------------------------------------------------------------------


def make_limiter(store: RateLimitStore) -> RateLimiter:
    return RateLimiter(
        store,
        {tier: PUBLIC for tier in AccessTier} | {AccessTier.REGISTRAR: Limit(1000, 100.0)},
        {QueryCost.LOOKUP: 1, QueryCost.SEARCH: 10},
        exempt_networks=(ip_network("192.0.2.0/28"),),
    )


async def test_searches_cost_more_and_tiers_have_their_own_limits() -> None:
    limiter = make_limiter(InProcessStore(clock=FakeClock()))
    address = ip_address("198.51.100.9")
    for _ in range(10):
        decision = await limiter.check(
            "ip:198.51.100.9", tier=AccessTier.PUBLIC, cost=QueryCost.SEARCH, address=address
        )
        assert decision is not None and decision.allowed
    refused = await limiter.check(
        "ip:198.51.100.9", tier=AccessTier.PUBLIC, cost=QueryCost.LOOKUP, address=address
    )
    assert refused is not None and not refused.allowed
    error = refusal(refused)
    assert isinstance(error, RateLimited) and error.retry_after_seconds == 1
    registrar = await limiter.check(
        "client:1234", tier=AccessTier.REGISTRAR, cost=QueryCost.SEARCH, address=address
    )
    assert registrar is not None and registrar.limit == 1000


async def test_monitoring_probes_are_exempt_and_not_charged() -> None:
    store = InProcessStore(clock=FakeClock())
    limiter = make_limiter(store)
    for _ in range(500):
        decision = await limiter.check(
            "ip:192.0.2.1", tier=AccessTier.PUBLIC, cost=QueryCost.SEARCH,
            address=ip_address("192.0.2.1"),
        )
        assert decision is None
    assert len(store) == 0


def test_limiter_rejects_incomplete_or_unpayable_settings() -> None:
    store = InProcessStore()
    with pytest.raises(ValueError, match="law_enforcement"):
        RateLimiter(store, {AccessTier.PUBLIC: PUBLIC}, {QueryCost.LOOKUP: 1, QueryCost.SEARCH: 1})
    all_tiers = {tier: PUBLIC for tier in AccessTier}
    with pytest.raises(ValueError, match="search"):
        RateLimiter(store, all_tiers, {QueryCost.LOOKUP: 1, QueryCost.SEARCH: 101})
    with pytest.raises(ValueError, match="lookup"):
        RateLimiter(store, all_tiers, {QueryCost.LOOKUP: 0, QueryCost.SEARCH: 1})


# -- Redis --------------------------------------------------------------------------


@pytest.fixture
def key_prefix() -> str:
    return f"rdap-coop-test:{uuid4().hex}:"


@pytest.fixture
async def redis_clients(test_redis_url: str) -> AsyncIterator[tuple[Redis, Redis]]:
    """Two clients, as two service instances would have."""
    clients = (
        create_redis_client(test_redis_url, timeout_seconds=2.0),
        create_redis_client(test_redis_url, timeout_seconds=2.0),
    )
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


async def test_redis_store_decides_as_the_arithmetic_does(
    redis_clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    client, _ = redis_clients
    store = RedisStore(client, key_prefix=key_prefix)
    tat: int | None = None
    for _ in range(GLACIAL.burst + 2):
        tat, expected = gcra(tat, EPOCH_US, 1, GLACIAL)
        assert await store.consume("ip:192.0.2.7", 1, GLACIAL) == expected
    assert expected.retry_after_seconds == 100
    stored = await client.get(key_prefix + "ip:192.0.2.7")
    assert await store.consume("ip:192.0.2.7", 1, GLACIAL) == expected
    assert await client.get(key_prefix + "ip:192.0.2.7") == stored  # refusals write nothing
    expires_in_ms = await client.pttl(key_prefix + "ip:192.0.2.7")
    assert 499_000 < expires_in_ms <= 500_000  # when the bucket is full again


async def test_two_instances_share_one_budget(
    redis_clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    limiters = [make_limiter(RedisStore(client, key_prefix=key_prefix)) for client in redis_clients]
    address = ip_address("2001:db8:7::1")
    decisions = [
        await limiters[turn % 2].check(
            "ip:2001:db8:7::/64", tier=AccessTier.PUBLIC, cost=QueryCost.SEARCH, address=address
        )
        for turn in range(14)
    ]
    assert [d is not None and d.allowed for d in decisions] == [True] * 10 + [False] * 4


async def test_concurrent_decisions_are_atomic(
    redis_clients: tuple[Redis, Redis], key_prefix: str
) -> None:
    stores = [RedisStore(client, key_prefix=key_prefix) for client in redis_clients]
    decisions = await asyncio.gather(
        *(stores[turn % 2].consume("client:42", 1, GLACIAL) for turn in range(60))
    )
    assert sum(decision.allowed for decision in decisions) == GLACIAL.burst


async def test_unreachable_redis_fails_fast_and_falls_back_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = create_redis_client(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(RateLimitStoreUnavailable):
            await RedisStore(client).consume("ip:192.0.2.7", 1, PUBLIC)
        store = FailoverStore(RedisStore(client), InProcessStore(), retry_after_seconds=0.0)
        caplog.set_level(logging.INFO, logger="rdap_coop.core.ratelimit")
        decisions = [await store.consume("ip:192.0.2.7", 1, GLACIAL) for _ in range(8)]
    finally:
        await client.aclose()
    assert store.degraded
    assert [d.allowed for d in decisions] == [True] * 5 + [False] * 3
    assert [record.levelname for record in caplog.records] == ["WARNING"]


async def test_redis_dying_mid_test(caplog: pytest.LogCaptureFixture) -> None:
    if redis_server_executable() is None:
        pytest.skip("needs redis-server on PATH (this test kills and restarts its own)")
    caplog.set_level(logging.INFO, logger="rdap_coop.core.ratelimit")
    clock = FakeClock()
    with own_redis_server() as server:
        client = create_redis_client(server.url)
        local = InProcessStore()
        store = FailoverStore(RedisStore(client), local, retry_after_seconds=5.0, clock=clock)
        try:
            assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
            assert await client.exists("rdap-coop:rl:ip:192.0.2.7") == 1
            assert not store.degraded and len(local) == 0

            server.kill()
            for _ in range(20):
                started = time.monotonic()
                assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
                assert time.monotonic() - started < 0.5
                clock.now += 0.5
            assert store.degraded and len(local) == 1

            server.start()  # same port, empty
            clock.now += 5.0
            assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
            assert not store.degraded
            assert await client.exists("rdap-coop:rl:ip:192.0.2.7") == 1
        finally:
            await client.aclose()
    assert [record.levelname for record in caplog.records] == ["WARNING", "INFO"]


async def test_a_hung_redis_costs_at_most_a_timeout_per_probe() -> None:
    if redis_server_executable() is None:
        pytest.skip("needs redis-server on PATH (this test pauses its own)")
    clock = FakeClock()
    with own_redis_server() as server:
        client = create_redis_client(server.url, timeout_seconds=0.05)
        store = FailoverStore(RedisStore(client), InProcessStore(), clock=clock)
        try:
            assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
            server.pause()
            for _ in range(5):
                started = time.monotonic()
                assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
                assert time.monotonic() - started < 0.5
            assert store.degraded
            server.resume()
            clock.now += 5.0
            assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
            assert not store.degraded
        finally:
            server.resume()
            await client.aclose()


async def test_a_quick_redis_restart_goes_unnoticed() -> None:
    if redis_server_executable() is None:
        pytest.skip("needs redis-server on PATH (this test restarts its own)")
    with own_redis_server() as server:
        client = create_redis_client(server.url)
        store = FailoverStore(RedisStore(client), InProcessStore(), clock=FakeClock())
        try:
            assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
            server.kill()
            server.start()  # the pooled connection is dead and the script cache empty
            assert (await store.consume("ip:192.0.2.7", 1, PUBLIC)).allowed
            assert not store.degraded
            assert await client.exists("rdap-coop:rl:ip:192.0.2.7") == 1
        finally:
            await client.aclose()
