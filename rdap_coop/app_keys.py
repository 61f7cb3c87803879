"""Typed keys for what the RDAP application holds for its lifetime."""

from __future__ import annotations

from aiohttp import web

from rdap_coop.core.access import AccessControl, Answered, Identity
from rdap_coop.core.cache import LookupCache
from rdap_coop.core.clients import IPAddress
from rdap_coop.core.concurrency import ConcurrencyCap
from rdap_coop.core.config import Settings
from rdap_coop.core.cursor import CursorCodec
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.quota import PersonalDataQuota
from rdap_coop.core.ratelimit import RateLimiter
from rdap_coop.public_bodies import PublicBodies

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", Registry)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
CONCURRENCY_CAP = web.AppKey("concurrency_cap", ConcurrencyCap)
PERSONAL_DATA_QUOTA = web.AppKey("personal_data_quota", PersonalDataQuota)
# Per request: the rate-limit key of the client, set by the edge before any handler.
CLIENT_KEY = web.RequestKey("client_key", str)
METRICS = web.AppKey("metrics", Metrics)
ACCESS = web.AppKey("access", AccessControl)
IDENTITY = web.RequestKey("identity", Identity)
CLIENT_ADDRESS = web.RequestKey("client_address", str)
# The same address parsed, kept so the edge parses it once per request.
CLIENT_IP: web.RequestKey[IPAddress | None] = web.RequestKey("client_ip")
REQUEST_URL = web.RequestKey("request_url", str)
# Sent as X-Request-Id, logged with the access line and any traceback, and audited.
REQUEST_ID = web.RequestKey("request_id", str)
QUERY_KIND = web.RequestKey("query_kind", str)
ANSWERED = web.RequestKey("answered", Answered)
CURSOR_CODEC = web.AppKey("cursor_codec", CursorCodec)
# Route names of the lookup page, its assets and the OpenAPI description: served
# without a rate-limit charge.
PAGE_ROUTE = "lookup-page"
STATIC_ROUTE = "lookup-page-static"
OPENAPI_ROUTE = "openapi-document"
# Operators' probes: answered before any limit, count or cache (middleware.py).
HEALTH_ROUTE = "health"
READY_ROUTE = "ready"
OPERATOR_ROUTES = frozenset({HEALTH_ROUTE, READY_ROUTE})
# Serialised public domain answers that hold no personal data, keyed by request URL.
# Each entry keeps its ETag, so a hit costs no hashing.
BODY_CACHE = web.AppKey("body_cache", LookupCache[PublicBodies])
