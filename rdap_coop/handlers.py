"""One short handler per RDAP path, each running the same five steps.

Parse and validate the query, (admit the client), fetch plain values from the
registry, apply the disclosure policy for the viewer, render RFC 9083 JSON. Errors
are raised as ``LookupFailed`` and turned into responses by the middleware.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from aiohttp import web

from rdap_coop.admission import client_key_of
from rdap_coop.app_keys import METRICS, PERSONAL_DATA_QUOTA, REGISTRY
from rdap_coop.core.disclosure import disclose_domain
from rdap_coop.core.errors import InvalidQuery, LookupFailed, NotFound
from rdap_coop.core.models import DomainAbsence
from rdap_coop.core.names import (
    RegistrarHandle,
    parse_domain_name,
    parse_entity_handle,
    parse_host_name,
)
from rdap_coop.core.redaction import PUBLIC_VIEWER
from rdap_coop.core.wording import RESERVED_NAME_TEXT
from rdap_coop.middleware import error_response, rdap_response
from rdap_coop.render import render_domain, render_help, render_nameserver, render_registrar
from rdap_coop.request_context import render_context


def path_argument(request: web.Request) -> str:
    """The last path segment, percent-decoded as strict UTF-8 (RFC 9082 §3.1.3).

    aiohttp's own decoding replaces invalid UTF-8 silently; a lookup key must be
    either exactly what the client meant or a 400.
    """
    raw_segment = request.raw_path.split("?", 1)[0].rsplit("/", 1)[-1]
    try:
        return unquote_to_bytes(raw_segment).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQuery("The query is not valid UTF-8.") from None


async def domain_lookup(request: web.Request) -> web.Response:
    name = parse_domain_name(path_argument(request))
    if not name.is_registrable_coop:
        raise NotFound("This server holds only names registered directly under .coop.")
    result = await request.app[REGISTRY].fetch_domain(name)
    if isinstance(result, DomainAbsence):
        raise _domain_absent(result)
    public = await disclose_domain(
        result.value,
        PUBLIC_VIEWER,
        client_key_of(request),
        request.app[PERSONAL_DATA_QUOTA],
        request.app[METRICS],
        "rdap",
    )
    ctx = render_context(request, result.database_updated_at, show_unicode=name.used_unicode)
    return rdap_response(render_domain(public, ctx))


def _domain_absent(absence: DomainAbsence) -> LookupFailed:
    if absence.reserved is not None:
        # Reserved names are public policy (.coop agreement App. 6): say so.
        return NotFound(RESERVED_NAME_TEXT)
    return NotFound("No domain by this name is registered in .coop.")


async def nameserver_lookup(request: web.Request) -> web.Response:
    name = parse_host_name(path_argument(request))
    result = await request.app[REGISTRY].fetch_nameserver(name)
    if result.value is None:
        raise NotFound("No nameserver by this name is registered in .coop.")
    ctx = render_context(request, result.database_updated_at, show_unicode=name.used_unicode)
    return rdap_response(render_nameserver(result.value, ctx))


async def entity_lookup(request: web.Request) -> web.Response:
    handle = parse_entity_handle(path_argument(request))
    if not isinstance(handle, RegistrarHandle):
        # Contact objects hold personal data; the public gets the same answer whether
        # or not the handle exists, so a lookup reveals nothing.
        raise NotFound("Contact entities are available to authenticated clients only.")
    result = await request.app[REGISTRY].fetch_registrar(handle.iana_id)
    if result.value is None:
        raise NotFound("No registrar with this IANA Registrar ID is accredited in .coop.")
    ctx = render_context(request, result.database_updated_at)
    return rdap_response(render_registrar(result.value, ctx))


async def help_page(request: web.Request) -> web.Response:
    # Help must answer even while the replica is down, so it reads no data.
    return rdap_response(render_help(render_context(request, None)))


async def not_implemented(request: web.Request) -> web.Response:
    """ip/, autnum/ and searches: valid RDAP, not served by a domain registry (501)."""
    return error_response(
        501, "Not Implemented", "This server answers domain, nameserver and entity lookups."
    )
