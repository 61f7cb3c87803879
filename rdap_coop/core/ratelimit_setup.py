"""Build the one rate limiter a process uses, from settings, and close it again.

In-process by default; with ``RDAP_COOP_REDIS_URL`` the budget lives in Redis, so
every process and machine shares it, with this process's memory standing in while
Redis is unreachable. The demo runs RDAP and WHOIS in one process over one limiter;
separate processes share theirs through Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from rdap_coop.core.config import RateLimitSettings
from rdap_coop.core.ratelimit import (
    FailoverStore,
    InProcessStore,
    Limit,
    QueryCost,
    RateLimiter,
    RateLimitStore,
)
from rdap_coop.core.ratelimit_redis import RedisStore, create_redis_client
from rdap_coop.core.redaction import AccessTier


@dataclass(slots=True)
class LimiterHandle:
    """The limiter plus what must be closed with it."""

    limiter: RateLimiter
    redis: Redis | None = None

    @property
    def degraded(self) -> bool:
        store = self.limiter.store
        return isinstance(store, FailoverStore) and store.degraded

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def build_rate_limiter(settings: RateLimitSettings) -> LimiterHandle:
    public = Limit(burst=settings.public_burst, rate_per_second=settings.public_per_second)
    authenticated = Limit(
        burst=settings.authenticated_burst, rate_per_second=settings.authenticated_per_second
    )
    limits = {
        tier: public if tier is AccessTier.PUBLIC else authenticated for tier in AccessTier
    }
    costs = {QueryCost.LOOKUP: settings.lookup_cost, QueryCost.SEARCH: settings.search_cost}
    local = InProcessStore(max_keys=settings.max_keys)
    redis: Redis | None = None
    store: RateLimitStore = local
    if settings.redis_url is not None:
        redis = create_redis_client(settings.redis_url)
        store = FailoverStore(RedisStore(redis), local)
    limiter = RateLimiter(store, limits, costs, settings.exempt_networks)
    return LimiterHandle(limiter=limiter, redis=redis)
