"""The one rate limiter both front ends call: GCRA arithmetic, keyed stores, client keys.

The arithmetic is the generic cell rate algorithm (GCRA), a token bucket written as
a pure function of the bucket's state and the time: the state is one number, the
theoretical arrival time (TAT) at which the bucket would be full again. Times are
whole microseconds, so the in-process store here and the Redis script in
``ratelimit_redis`` make bit-for-bit the same decisions (Lua numbers are doubles,
exact for integers below 2**53, i.e. for microsecond timestamps for centuries).

A client is keyed by its address (IPv4 /32, IPv6 aggregated to a prefix, because
one subscriber is routinely given a whole /64) or, once authenticated, by its
accredited client id. Forwarded addresses are believed only from trusted proxies.
"""

from __future__ import annotations

import enum
import functools
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address
from typing import Protocol

from rdap_coop.core.config import IPNetwork
from rdap_coop.core.errors import BackendUnavailable, RateLimited
from rdap_coop.core.redaction import AccessTier

log = logging.getLogger(__name__)

MICROSECONDS_PER_SECOND = 1_000_000
UNKNOWN_CLIENT_KEY = "ip:unknown"
RATE_LIMITED_DESCRIPTION = "Query rate limit exceeded; retry after the indicated delay."

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class Limit:
    """A budget: ``burst`` units at once, refilled at ``rate_per_second`` units a second."""

    burst: int
    rate_per_second: float

    def __post_init__(self) -> None:
        if self.burst < 1:
            raise ValueError("burst must be at least 1")
        if not 0 < self.rate_per_second <= MICROSECONDS_PER_SECOND:
            raise ValueError("rate_per_second must be in (0, 1000000]")

    @property
    def emission_interval_us(self) -> int:
        """Microseconds one unit takes to refill, rounded up: the sustained rate never
        exceeds the configured one."""
        return math.ceil(MICROSECONDS_PER_SECOND / self.rate_per_second)

    @property
    def tolerance_us(self) -> int:
        """How far ahead of now the TAT may run: exactly ``burst`` units."""
        return self.burst * self.emission_interval_us

    def increment_us(self, cost: float) -> int:
        """How far a request of ``cost`` units moves the TAT."""
        return math.ceil(cost * self.emission_interval_us)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    """The burst, for ``RateLimit-Limit``."""
    remaining: int
    """Whole one-unit requests left after this decision, for ``RateLimit-Remaining``."""
    retry_after_seconds: int
    """0 when allowed; when refused, whole seconds (at least 1) after which the same
    request is admitted."""
    reset_seconds: int
    """Whole seconds until the bucket is full again, for ``RateLimit-Reset``."""


def _ceil_seconds(microseconds: int) -> int:
    return max(0, -(-microseconds // MICROSECONDS_PER_SECOND))


def decide(allowed: bool, tat_us: int, now_us: int, increment_us: int, limit: Limit) -> Decision:
    """The decision reported for a TAT after the request (unchanged when refused)."""
    backlog_us = max(0, tat_us - now_us)
    remaining = max(0, (limit.tolerance_us - backlog_us) // limit.emission_interval_us)
    retry_after = 0
    if not allowed:
        retry_after = max(1, _ceil_seconds(backlog_us + increment_us - limit.tolerance_us))
    return Decision(allowed, limit.burst, remaining, retry_after, _ceil_seconds(backlog_us))


def gcra(tat_us: int | None, now_us: int, cost: float, limit: Limit) -> tuple[int | None, Decision]:
    """Admit or refuse ``cost`` units at ``now_us``; return the new TAT and the decision.

    ``tat_us`` is None for a client never seen (or forgotten: a full bucket). A refused
    request leaves the state as it was. Starting from ``max(tat, now)`` keeps the TAT
    monotonic, so a clock that steps back can only make the limiter stricter, never
    admit more than the burst. A cost above the burst is never admitted.
    """
    increment = limit.increment_us(cost)
    start = now_us if tat_us is None else max(tat_us, now_us)
    new_tat = start + increment
    if new_tat - limit.tolerance_us > now_us:
        return tat_us, decide(False, start, now_us, increment, limit)
    return new_tat, decide(True, new_tat, now_us, increment, limit)


class RateLimitStoreUnavailable(BackendUnavailable):
    """The shared store cannot be reached; ``FailoverStore`` falls back on memory."""


class RateLimitStore(Protocol):
    async def consume(self, key: str, cost: float, limit: Limit) -> Decision:
        """Decide, and record an admitted request, atomically for ``key``."""
        ...


class InProcessStore:
    """GCRA state in this process's memory, bounded to ``max_keys`` clients.

    When full, forgotten first are the clients whose buckets are full again (state
    equal to absence), then the least recently seen: forgetting one of those hands it
    a fresh burst, the price of bounded memory under a flood of distinct keys. A
    sweep for full buckets runs at most once per ``max_keys // 10`` new keys.
    """

    def __init__(
        self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._max_keys = max_keys
        self._low_water = max_keys - max(1, max_keys // 10)
        self._clock = clock
        self._tats: OrderedDict[str, int] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tats)

    async def consume(self, key: str, cost: float, limit: Limit) -> Decision:
        return self.consume_now(key, cost, limit)

    def consume_now(self, key: str, cost: float, limit: Limit) -> Decision:
        """``consume`` without the coroutine, for callers outside an event loop."""
        now_us = int(self._clock() * MICROSECONDS_PER_SECOND)
        previous = self._tats.get(key)
        tat, decision = gcra(previous, now_us, cost, limit)
        if previous is not None:
            self._tats.move_to_end(key)
        elif tat is not None:
            self._make_room(now_us)
        if tat is not None:
            self._tats[key] = tat
        return decision

    def _make_room(self, now_us: int) -> None:
        tats = self._tats
        # The least recently seen are the likeliest to be full again: usually enough.
        while len(tats) >= self._max_keys and next(iter(tats.values())) <= now_us:
            tats.popitem(last=False)
        if len(tats) < self._max_keys:
            return
        for key in [key for key, tat in tats.items() if tat <= now_us]:
            del tats[key]
        while len(tats) > self._low_water:
            tats.popitem(last=False)


class FailoverStore:
    """A shared store, with this process's memory standing in while it is unreachable.

    ``degraded`` is True during an outage (for metrics). The outage is logged once when
    it starts and once when it ends; meanwhile each process limits on its own, and the
    shared store is tried again every ``retry_after_seconds`` by one request.
    """

    def __init__(
        self,
        shared: RateLimitStore,
        local: RateLimitStore,
        *,
        retry_after_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shared = shared
        self._local = local
        self._retry_after_seconds = retry_after_seconds
        self._clock = clock
        self._retry_at = 0.0
        self.degraded = False

    async def consume(self, key: str, cost: float, limit: Limit) -> Decision:
        if self.degraded and self._clock() < self._retry_at:
            return await self._local.consume(key, cost, limit)
        # Set before awaiting, so requests arriving during this probe stay local.
        self._retry_at = self._clock() + self._retry_after_seconds
        try:
            decision = await self._shared.consume(key, cost, limit)
        except RateLimitStoreUnavailable as error:
            if not self.degraded:
                self.degraded = True
                log.warning(
                    "rate-limit store unreachable (%s); limiting in this process only",
                    error.__cause__ or error,
                )
            return await self._local.consume(key, cost, limit)
        if self.degraded:
            self.degraded = False
            log.info("rate-limit store reachable again; limits are shared again")
        return decision


@functools.lru_cache(maxsize=4096)  # pure, and clients repeat: parsed once per address
def _parse_address(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("["):  # "[2001:db8::1]:443"
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # "192.0.2.7:51234"
        text = text.partition(":")[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address):
        # A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; aggregating
        # those to a /64 would put every IPv4 client in one bucket.
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return IPv6Address(int(address))  # drop any %zone
    return address


def _is_trusted(address: IPAddress, trusted_proxies: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in trusted_proxies)


def client_address(
    peer: str | None, forwarded_for: str | None, *, trusted_proxies: Sequence[IPNetwork]
) -> IPAddress | None:
    """The real client address, or None when it cannot be parsed.

    ``X-Forwarded-For`` is believed only when the peer is a trusted proxy; then the
    client is its right-most entry that is not itself a trusted proxy (entries to
    its left are whatever the client chose to send), or the left-most entry when
    all of them are trusted.
    """
    address = None if peer is None else _parse_address(peer)
    if address is None or not forwarded_for or not _is_trusted(address, trusted_proxies):
        return address
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    if not hops:
        return address
    for hop in reversed(hops):
        address = _parse_address(hop)
        if address is None or not _is_trusted(address, trusted_proxies):
            return address
    return _parse_address(hops[0])


def address_key(address: IPAddress | None, *, ipv6_prefix: int = 64) -> str:
    """The bucket key of an address; every unparsable address shares one bucket."""
    if address is None:
        return UNKNOWN_CLIENT_KEY
    if isinstance(address, IPv6Address):
        return f"ip:{IPv6Network((address, ipv6_prefix), strict=False)}"
    return f"ip:{address}"


def client_key(
    peer: str | None,
    forwarded_for: str | None,
    *,
    trusted_proxies: Sequence[IPNetwork],
    ipv6_prefix: int = 64,
) -> str:
    address = client_address(peer, forwarded_for, trusted_proxies=trusted_proxies)
    return address_key(address, ipv6_prefix=ipv6_prefix)


def authenticated_client_key(client_id: str) -> str:
    return f"client:{client_id}"


def is_exempt(address: IPAddress | None, exempt_networks: Sequence[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in exempt_networks)


class QueryCost(enum.StrEnum):
    """What a query costs; the values name the settings that price them."""

    LOOKUP = "lookup"
    SEARCH = "search"


class RateLimiter:
    """The one limiter both front ends call, before fetching anything.

    Charging before the fetch is what makes a not-found lookup cost as much as a
    found one, so probing for names pays the same price as reading them.
    """

    def __init__(
        self,
        store: RateLimitStore,
        limits_by_tier: Mapping[AccessTier, Limit],
        costs: Mapping[QueryCost, float],
        exempt_networks: Sequence[IPNetwork] = (),
    ) -> None:
        missing = [tier.value for tier in AccessTier if tier not in limits_by_tier]
        missing += [kind.value for kind in QueryCost if kind not in costs]
        if missing:
            raise ValueError(f"rate limits missing for: {', '.join(missing)}")
        smallest_burst = min(limit.burst for limit in limits_by_tier.values())
        for kind, cost in costs.items():
            if not 0 < cost <= smallest_burst:
                raise ValueError(f"cost of {kind.value} must be in (0, {smallest_burst}]")
        self.store = store
        self._limits = dict(limits_by_tier)
        self._costs = dict(costs)
        self._exempt_networks = tuple(exempt_networks)

    async def check(
        self,
        key: str,
        *,
        tier: AccessTier,
        cost: QueryCost,
        address: IPAddress | None,
        burst: int | None = None,
        rate_per_second: float | None = None,
    ) -> Decision | None:
        """Charge ``key`` for one query; None when ``address`` is exempt (monitoring).

        ``burst`` and ``rate_per_second`` override the tier's limit for one accredited
        client (from the clients file)."""
        if is_exempt(address, self._exempt_networks):
            return None
        limit = self._limits[tier]
        if burst is not None or rate_per_second is not None:
            limit = Limit(
                burst=burst if burst is not None else limit.burst,
                rate_per_second=(
                    rate_per_second if rate_per_second is not None else limit.rate_per_second
                ),
            )
        return await self.store.consume(key, self._costs[cost], limit)


def refusal(decision: Decision) -> RateLimited:
    """The error both edges report for a refused decision."""
    return RateLimited(RATE_LIMITED_DESCRIPTION, decision.retry_after_seconds)
