"""Who gets served, as whom: identity, the concurrency cap and the shared rate limit.

All of it runs before any handler touches the database. A request is identified
first (a bearer token, RFC 6750, plus the RFC 9560 ``roidc1_qp`` purpose and an
optional ``caseReference``), then charged to its client key: the accredited client,
or else the real client address. Over its budget a client gets 429 with
``Retry-After`` (RFC 7480 §5.5, RFC 6585 §4); every admitted answer carries the
``RateLimit-Limit/Remaining/Reset`` headers (draft-ietf-httpapi-ratelimit-headers).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from rdap_coop.app_keys import (
    ACCESS,
    CLIENT_ADDRESS,
    CLIENT_IP,
    CLIENT_KEY,
    IDENTITY,
    METRICS,
    OPENAPI_ROUTE,
    PAGE_ROUTE,
    QUERY_KIND,
    RATE_LIMITER,
    SETTINGS,
    STATIC_ROUTE,
)
from rdap_coop.core.access import PUBLIC_IDENTITY, Identity
from rdap_coop.core.clients import IPAddress
from rdap_coop.core.metrics import LimitOutcome
from rdap_coop.core.ratelimit import (
    UNKNOWN_CLIENT_KEY,
    Decision,
    QueryCost,
    address_key,
    authenticated_client_key,
    client_address,
)

SEARCH_PATHS = frozenset({"domains", "nameservers", "entities"})
# The closed set of query kinds a metric label may carry.
LOOKUP_KINDS = frozenset({"domain", "nameserver", "entity", "help", "ip", "autnum"})


def query_kind(request: web.Request) -> str:
    """The RDAP query kind of a request, from a closed set (never the queried name)."""
    if QUERY_KIND not in request:
        request[QUERY_KIND] = _kind_of_path(request.path)
    return request[QUERY_KIND]


def _kind_of_path(path: str) -> str:
    segments = path.strip("/").split("/")
    if "reverse_search" in segments:
        return "reverse_search"
    for segment in segments:
        if segment in LOOKUP_KINDS:
            return segment
        if segment in SEARCH_PATHS:
            return "search"
    return "other"


def query_cost(request: web.Request) -> QueryCost:
    return QueryCost.SEARCH if query_kind(request) in ("search", "reverse_search") else (
        QueryCost.LOOKUP
    )


def request_address(request: web.Request) -> IPAddress | None:
    """The real client address (forwarded headers only from trusted proxies)."""
    if CLIENT_IP in request:
        return request[CLIENT_IP]
    # Every X-Forwarded-For line, joined: the first alone may be one the client forged.
    forwarded_for = ", ".join(request.headers.getall("X-Forwarded-For", ()))
    trusted = request.app[SETTINGS].rdap.trusted_proxies
    address = client_address(request.remote, forwarded_for, trusted_proxies=trusted)
    request[CLIENT_IP] = address
    request[CLIENT_ADDRESS] = "" if address is None else str(address)
    return address


def identify(request: web.Request) -> Identity:
    """Who is asking; raises Unauthorized (401), Forbidden (403) or InvalidQuery (400)."""
    authorization = request.headers.get("Authorization")
    if authorization is None:
        # Anonymous: nothing to look up (and no query string to parse) on the hot path.
        return PUBLIC_IDENTITY
    identity = request.app[ACCESS].identify(
        authorization,
        request_address(request),
        request.query.get("roidc1_qp"),
        request.query.get("caseReference"),
        datetime.now(UTC),
    )
    request[IDENTITY] = identity
    return identity


def identity_of(request: web.Request) -> Identity:
    identity: Identity = request.get(IDENTITY, PUBLIC_IDENTITY)
    return identity


UNCHARGED_ROUTES = frozenset({PAGE_ROUTE, STATIC_ROUTE, OPENAPI_ROUTE})


async def charge(request: web.Request, identity: Identity) -> Decision | None:
    """Charge this request to its client; None when exempt (address or page asset)."""
    if request.match_info.route.name in UNCHARGED_ROUTES:
        return None
    address = request_address(request)
    if identity.client_id is not None:
        key = authenticated_client_key(identity.client_id)
    else:
        key = address_key(address, ipv6_prefix=request.app[SETTINGS].rate_limit.ipv6_prefix)
    request[CLIENT_KEY] = key
    tier = identity.viewer.tier
    decision = await request.app[RATE_LIMITER].check(
        key,
        tier=tier,
        cost=query_cost(request),
        address=address,
        burst=identity.rate_limit_burst,
        rate_per_second=identity.rate_limit_per_second,
    )
    request.app[METRICS].count_limit("rdap", tier.value, limit_outcome(decision))
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
