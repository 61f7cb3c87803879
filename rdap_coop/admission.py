"""Who gets served: the per-process concurrency cap and the shared rate limit.

Both run before any handler touches the database. Over the cap a request is shed at
once with 503 (never queued without bound); over its budget a client gets 429 with
``Retry-After`` (RFC 7480 §5.5, RFC 6585 §4). Every admitted answer carries the
``RateLimit-Limit/Remaining/Reset`` headers (draft-ietf-httpapi-ratelimit-headers), so
well-behaved clients can pace themselves.
"""

from __future__ import annotations

from aiohttp import web

from rdap_coop.app_keys import CLIENT_KEY, METRICS, RATE_LIMITER, SETTINGS
from rdap_coop.core.metrics import LimitOutcome
from rdap_coop.core.ratelimit import (
    UNKNOWN_CLIENT_KEY,
    Decision,
    QueryCost,
    RateLimiter,
    address_key,
    client_address,
)
from rdap_coop.core.redaction import AccessTier

SEARCH_PATHS = frozenset({"domains", "nameservers", "entities"})
# The closed set of query kinds a metric label may carry.
LOOKUP_KINDS = frozenset({"domain", "nameserver", "entity", "help", "ip", "autnum"})


def query_kind(request: web.Request) -> str:
    """The RDAP query kind of a request, from a closed set (never the queried name)."""
    segments = request.path.strip("/").split("/")
    for segment in segments:
        if segment in LOOKUP_KINDS:
            return segment
        if segment in SEARCH_PATHS:
            return "search"
    return "other"


def query_cost(request: web.Request) -> QueryCost:
    last_segment = request.path.rstrip("/").rsplit("/", 1)[-1]
    return QueryCost.SEARCH if last_segment in SEARCH_PATHS else QueryCost.LOOKUP


async def charge(request: web.Request, limiter: RateLimiter) -> Decision | None:
    """Charge the client for this request; None when its address is exempt."""
    app_settings = request.app[SETTINGS]
    # Every X-Forwarded-For line, joined: the first alone may be one the client forged.
    forwarded_for = ", ".join(request.headers.getall("X-Forwarded-For", []))
    address = client_address(
        request.remote, forwarded_for, trusted_proxies=app_settings.rdap.trusted_proxies
    )
    key = address_key(address, ipv6_prefix=app_settings.rate_limit.ipv6_prefix)
    request[CLIENT_KEY] = key
    decision = await limiter.check(
        key, tier=AccessTier.PUBLIC, cost=query_cost(request), address=address
    )
    request.app[METRICS].count_limit("rdap", AccessTier.PUBLIC.value, limit_outcome(decision))
    return decision


def client_key_of(request: web.Request) -> str:
    """The key the edge charged this request to (the personal-data quota uses it too)."""
    key: str = request.get(CLIENT_KEY, UNKNOWN_CLIENT_KEY)
    return key


def limit_outcome(decision: Decision | None) -> LimitOutcome:
    if decision is None:
        return "exempt"
    return "allowed" if decision.allowed else "refused"


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
    }


async def charge_request(request: web.Request) -> Decision | None:
    return await charge(request, request.app[RATE_LIMITER])
