"""Build the rate limiter and personal-data quota a process uses, and close them again.

In-process by default; with ``RDAP_COOP_REDIS_URL`` the budget lives in Redis, so
every process and machine shares it, with this process's memory standing in while
Redis is unreachable. The demo runs RDAP and WHOIS in one process over one limiter;
separate processes share theirs through Redis.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from rdap_coop.core.config import RateLimitSettings
from rdap_coop.core.quota import (
    InProcessQuotaStore,
    PersonalDataQuota,
    QuotaPolicy,
    QuotaStore,
    RedisQuotaStore,
)
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
    """The limiter and the personal-data quota, plus what must be closed with them."""

    limiter: RateLimiter
    quota: PersonalDataQuota
    redis: Redis | None = None

    @property
    def degraded(self) -> bool:
        store, quota_store = self.limiter.store, self.quota.store
        return (isinstance(store, FailoverStore) and store.degraded) or (
            isinstance(quota_store, RedisQuotaStore) and quota_store.degraded
        )

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
    local_quota = InProcessQuotaStore(max_keys=settings.max_keys)
    redis: Redis | None = None
    store: RateLimitStore = local
    quota_store: QuotaStore = local_quota
    if settings.redis_url is not None:
        redis = create_redis_client(settings.redis_url)
        store = FailoverStore(RedisStore(redis), local)
        quota_store = RedisQuotaStore(redis, local_quota)
    limiter = RateLimiter(store, limits, costs, settings.exempt_networks)
    policy = QuotaPolicy(
        daily_contacts=settings.personal_data_daily_contacts,
        strikes_for_long_block=settings.personal_data_strikes_for_long_block,
        strike_window_days=settings.personal_data_strike_window_days,
        long_block_days=settings.personal_data_long_block_days,
    )
    quota = PersonalDataQuota(quota_store, policy)
    return LimiterHandle(limiter=limiter, quota=quota, redis=redis)
