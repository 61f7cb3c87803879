"""Typed keys for what the RDAP application holds for its lifetime."""

from __future__ import annotations

from aiohttp import web

from rdap_coop.core.config import Settings
from rdap_coop.core.queries import Registry

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", Registry)
