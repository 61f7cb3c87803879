"""The RDAP application factory: routes, the edge middleware and app lifetime.

Routes are mounted under the path of the configured public base URL, so the
service answers exactly at the prefix published in the IANA bootstrap file
(RFC 9224, SPEC EXT-50). ``add_get`` also registers HEAD, which then runs the same
handler and status logic as GET with the body dropped (RFC 7480 §4, SPEC HTTP-04).
"""

from __future__ import annotations

from typing import TypedDict
from urllib.parse import urlsplit

from aiohttp import web

from rdap_coop import handlers, page, search_handlers
from rdap_coop.app_keys import (
    ACCESS,
    BODY_CACHE,
    CONCURRENCY_CAP,
    CURSOR_CODEC,
    HEALTH_ROUTE,
    METRICS,
    OPENAPI_ROUTE,
    PAGE_ROUTE,
    PERSONAL_DATA_QUOTA,
    RATE_LIMITER,
    READY_ROUTE,
    REGISTRY,
    SETTINGS,
    STATIC_ROUTE,
)
from rdap_coop.core.access import AccessControl
from rdap_coop.core.cache import LookupCache
from rdap_coop.core.concurrency import ConcurrencyCap
from rdap_coop.core.config import Settings
from rdap_coop.core.cursor import CursorCodec, new_secret
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle
from rdap_coop.middleware import rdap_edge


class ServerOptions(TypedDict):
    max_line_size: int
    max_field_size: int
    keepalive_timeout: float




BODY_CACHE_ENTRIES = 2000  # at most 30 MB: one or two 7-KB documents each


def server_options(settings: Settings) -> ServerOptions:
    """Options for aiohttp's request handler, passed to ``AppRunner(app, **options)``.

    aiohttp rejects request lines over its limit with a plain-text 400 before any
    middleware runs; the limit is raised well above ``max_path_bytes`` so that long
    queries reach the edge and get an RFC 9083 error body instead.
    """
    # An idle or half-sent request holds its connection no longer than a request may take
    # (aiohttp's own default is 75 s: a slowloris needs few connections to hold many).
    return ServerOptions(
        max_line_size=settings.rdap.max_request_line_bytes,
        max_field_size=16384,
        keepalive_timeout=settings.rdap.request_timeout_seconds,
    )


def create_app(
    settings: Settings,
    registry: Registry,
    limits: LimiterHandle,
    metrics: Metrics | None = None,
    access: AccessControl | None = None,
) -> web.Application:
    """Build the app around an open registry and limiter; the caller owns their lifetime."""
    app = web.Application(middlewares=[rdap_edge], client_max_size=64 * 1024)
    app[SETTINGS] = settings
    app[REGISTRY] = registry
    app[RATE_LIMITER] = limits.limiter
    app[PERSONAL_DATA_QUOTA] = limits.quota
    app[METRICS] = metrics if metrics is not None else Metrics()
    # Without a clients file every Authorization header is refused (401).
    app[ACCESS] = access if access is not None else AccessControl(directory=None, audit=None)
    app[CURSOR_CODEC] = CursorCodec(settings.rdap.cursor_secret or new_secret())
    app[BODY_CACHE] = LookupCache(
        ttl_seconds=settings.database.cache_ttl_seconds, max_entries=BODY_CACHE_ENTRIES
    )
    app[CONCURRENCY_CAP] = ConcurrencyCap(settings.rdap.max_concurrent_requests)
    base = urlsplit(settings.rdap.base_url).path.rstrip("/")
    routes = [
        ("/domain/{name}", handlers.domain_lookup),
        ("/nameserver/{name}", handlers.nameserver_lookup),
        ("/entity/{handle}", handlers.entity_lookup),
        ("/help", handlers.help_page),
        # RFC 9082 queries a domain name registry does not serve (SPEC HTTP-14, Q-05).
        ("/ip/{tail:.*}", handlers.not_implemented),
        ("/autnum/{tail:.*}", handlers.not_implemented),
        # RFC 9536 reverse search: law enforcement only.
        ("/domains/reverse_search/entity", handlers.reverse_search_domains),
        ("/domains", search_handlers.search),
        ("/nameservers", search_handlers.search),
        ("/entities", search_handlers.search),
    ]
    for path, handler in routes:
        app.router.add_get(base + path, handler)
    # The public lookup page; free of rate-limit charges (it only calls the API).
    app.router.add_get(base + "/", page.lookup_page, name=PAGE_ROUTE)
    app.router.add_get(base + "/static/{name}", page.static_asset, name=STATIC_ROUTE)
    # The OpenAPI description of every route here, for client generators and API tests.
    app.router.add_get(base + "/openapi.yaml", page.openapi_document, name=OPENAPI_ROUTE)
    # Liveness and readiness for load balancers and orchestrators (also served on the
    # internal port), at the root whatever the base path.
    app.router.add_get("/health", handlers.health, name=HEALTH_ROUTE)
    app.router.add_get("/ready", handlers.ready, name=READY_ROUTE)
    return app
