"""Typed keys for what the RDAP application holds for its lifetime."""

from __future__ import annotations

from aiohttp import web

from rdap_coop.core.concurrency import ConcurrencyCap
from rdap_coop.core.config import Settings
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit import RateLimiter

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", Registry)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
CONCURRENCY_CAP = web.AppKey("concurrency_cap", ConcurrencyCap)
