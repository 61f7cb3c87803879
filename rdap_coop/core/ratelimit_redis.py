"""The Redis rate-limit store: one budget per client, shared by every process and machine.

Each decision is one EVALSHA of a Lua script that runs the same GCRA as
``ratelimit.gcra`` atomically on the server, on the server's clock (``TIME``), so
instances whose own clocks disagree still agree on every budget. Callers pass the
integer increment and tolerance, so the script does integer arithmetic only and its
decisions equal the in-process ones. Needs Redis 5 or later (scripts replicated by
effects, which allows ``TIME`` before a write).
"""

from __future__ import annotations

from typing import Final

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from rdap_coop.core.ratelimit import Decision, Limit, RateLimitStoreUnavailable, decide

KEY_PREFIX: Final = "rdap-coop:rl:"

# KEYS[1]: the client's bucket. ARGV[1]: this request's increment, ARGV[2]: the
# tolerance (burst x emission interval), both whole microseconds.
# Returns {admitted (1 or 0), TAT after the decision, now}, in microseconds. The key
# expires when the bucket would be full again, which is the same as no key at all.
GCRA_SCRIPT: Final = """
local increment = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local start = now
local stored = redis.call('GET', KEYS[1])
if stored then
  start = math.max(tonumber(stored), now)
end
local tat = start + increment
if tat - tolerance > now then
  return {0, start, now}
end
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.ceil((tat - now) / 1000))
return {1, tat, now}
"""


def create_redis_client(
    url: str, *, timeout_seconds: float = 0.1, max_connections: int = 16
) -> Redis:
    """A client that fails fast, so a dead or hung Redis costs a probe one timeout.

    Connects lazily (nothing happens here). ``timeout_seconds`` bounds connecting and
    each reply, which is what tells a dead or hung Redis. The wait for one of the
    ``max_connections`` pooled connections is not bounded here: it is our own load, not
    Redis being away (bounding it made a burst from one client look like an outage and
    unshare every budget for seconds); the request deadline bounds the whole request.
    One immediate retry on a connection error lets a pooled connection broken by a
    Redis restart reconnect instead of failing over; a timeout is not retried. (The
    library's default, ten retries with backoff, would stall requests for seconds.)
    Close it with ``await client.aclose()``.
    """
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=None,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )
    return Redis.from_pool(pool)


class RedisStore:
    """GCRA state in Redis, under ``key_prefix`` + client key."""

    def __init__(self, client: Redis, *, key_prefix: str = KEY_PREFIX) -> None:
        self._key_prefix = key_prefix
        # Sends EVALSHA; loads the script only when the server answers NOSCRIPT.
        self._script = client.register_script(GCRA_SCRIPT)

    async def consume(self, key: str, cost: float, limit: Limit) -> Decision:
        """Raises ``RateLimitStoreUnavailable`` when Redis cannot decide."""
        increment = limit.increment_us(cost)
        try:
            reply = await self._script(
                keys=[self._key_prefix + key], args=[increment, limit.tolerance_us]
            )
            admitted, tat_us, now_us = (int(value) for value in reply)
        except (RedisError, OSError, ValueError, TypeError) as error:
            raise RateLimitStoreUnavailable("rate limiter unavailable") from error
        return decide(admitted == 1, tat_us, now_us, increment, limit)
