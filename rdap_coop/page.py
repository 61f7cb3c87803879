"""The public lookup page at ``/``: three static files and a strict CSP.

The page is plain HTML, CSS and one script that calls this same RDAP service, so it
shows exactly what the API shows -- including every redaction -- and nothing else.
Its Content-Security-Policy forbids inline script and any resource from elsewhere.
The OpenAPI description of the service, ``/openapi.yaml``, is served from the same
directory and, like the page, costs no rate-limit budget.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from aiohttp import web

STATIC = resources.files("rdap_coop") / "static"
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
CONTENT_TYPES: Final = {
    "index.html": "text/html",
    "lookup.css": "text/css",
    "lookup.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}
OPENAPI_DOCUMENT: Final = "openapi.yaml"
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=300",
}


def _asset(name: str) -> web.Response:
    body = (STATIC / name).read_bytes()
    return web.Response(
        body=body, content_type=CONTENT_TYPES[name],
        charset="utf-8" if not name.endswith(".svg") else None, headers=PAGE_HEADERS,
    )


async def lookup_page(request: web.Request) -> web.Response:
    return _asset("index.html")


async def openapi_document(request: web.Request) -> web.Response:
    # Cacheable like any public answer: the edge adds its ETag and Cache-Control.
    body = (STATIC / OPENAPI_DOCUMENT).read_bytes()
    return web.Response(
        body=body, content_type="application/yaml", charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


async def static_asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in CONTENT_TYPES or name == "index.html":
        raise web.HTTPNotFound()
    return _asset(name)
