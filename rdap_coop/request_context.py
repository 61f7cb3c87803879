"""What a renderer needs to know about the request: the URL the client used.

ICANN's profile compares notice and link ``value`` members with the exact request
URL (SPEC §14 point 4). Behind a TLS-terminating proxy the service sees an internal
URL, so the scheme and host a client used are taken from ``X-Forwarded-Proto`` and
``X-Forwarded-Host`` -- but only when the peer is a configured trusted proxy, never
from an arbitrary client.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from urllib.parse import quote, urlsplit

from aiohttp import web

from rdap_coop.app_keys import IDENTITY, REQUEST_URL, SETTINGS
from rdap_coop.core.access import PUBLIC_IDENTITY, Identity
from rdap_coop.core.config import RateLimitSettings, RdapSettings
from rdap_coop.render import RenderContext


def _is_trusted_proxy(peer: str | None, settings: RdapSettings) -> bool:
    if peer is None or not settings.trusted_proxies:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in settings.trusted_proxies)


_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
# Characters a URI path and query may carry literally (RFC 3986 §3.3-3.4), plus '%'
# so existing escapes stay as the client sent them.
_URI_SAFE = "/?&=%:@!$'()*+,;-._~"


def request_url(request: web.Request, settings: RdapSettings) -> str:
    """The URL the client requested, made safe to echo inside JSON; derived once."""
    if REQUEST_URL not in request:
        request[REQUEST_URL] = _derive_request_url(request, settings)
    return request[REQUEST_URL]


def _derive_request_url(request: web.Request, settings: RdapSettings) -> str:
    scheme, host = request.scheme, request.host
    if _is_trusted_proxy(request.remote, settings):
        scheme = request.headers.get("X-Forwarded-Proto", scheme).split(",")[0].strip()
        host = request.headers.get("X-Forwarded-Host", host).split(",")[0].strip()
    base = urlsplit(settings.base_url)
    if scheme not in ("http", "https"):
        scheme = base.scheme
    if not _HOST.fullmatch(host):
        host = base.netloc
    target = _origin_form(request.raw_path).encode("utf-8", "surrogateescape")
    return f"{scheme}://{host}{quote(target, safe=_URI_SAFE)}"


def _origin_form(raw_target: str) -> str:
    """The path and query of the request target. An absolute-form target (RFC 9112
    §3.2.2, ``GET http://host/domain/x``) carries an authority that is not ours to echo;
    and raw non-ASCII bytes (kept as surrogates by aiohttp's pure-Python parser) are
    percent-encoded as the bytes they were, never a 500."""
    if raw_target.startswith("/"):
        return raw_target
    return "/" + raw_target.partition("://")[2].partition("/")[2]


def limits_description(limits: RateLimitSettings) -> tuple[str, ...]:
    """The operator's limits in words, for /help (the same settings the limiter uses)."""
    return (
        f"Each client may send {limits.public_burst} queries at once and "
        f"{limits.public_per_second:g} per second sustained, shared with the WHOIS service; "
        f"a search costs {limits.search_cost:g} queries. Every response carries "
        "RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers.",
        f"Each client may see the personal data of {limits.personal_data_daily_contacts} "
        "contacts a day (UTC), even where the contact consented to publication; past that "
        "it is redacted with the reason Personal-data quota exceeded. Going over on "
        f"{limits.personal_data_strikes_for_long_block} days within "
        f"{limits.personal_data_strike_window_days} days extends this to "
        f"{limits.personal_data_long_block_days} days.",
    )


def render_context(
    request: web.Request, database_updated_at: datetime | None, *, show_unicode: bool = True
) -> RenderContext:
    app_settings = request.app[SETTINGS]
    settings = app_settings.rdap
    return RenderContext(
        base_url=settings.base_url,
        request_url=request_url(request, settings),
        port43=settings.port43,
        tos_url=settings.tos_url,
        database_updated_at=database_updated_at,
        show_unicode_name=show_unicode,
        limits_description=limits_description(app_settings.rate_limit),
        disclosure_description=disclosure_description(request),
    )


def disclosure_description(request: web.Request) -> tuple[str, ...]:
    """The notice an authorised answer carries (SPEC RED-20, ACC-12); empty if public."""
    identity: Identity = request.get(IDENTITY, PUBLIC_IDENTITY)
    if identity.is_public:
        return ()
    case = f", case {identity.case_reference}" if identity.case_reference else ""
    return (
        f"This response contains non-public registration data disclosed to "
        f"{identity.organisation} ({identity.viewer.tier.value}) for the purpose "
        f"{identity.purpose}{case}.",
        "It is confidential: use it only for that purpose, do not publish it or pass it "
        "on, and keep it no longer than the purpose requires. The disclosure is recorded.",
    )
