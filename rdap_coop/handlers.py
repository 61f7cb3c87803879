"""One short handler per RDAP path, each running the same five steps.

Parse and validate the query, (admit the client), fetch plain values from the
registry, apply the disclosure policy for the viewer, render RFC 9083 JSON. Errors
are raised as ``LookupFailed`` and turned into responses by the middleware.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

import orjson
from aiohttp import web

from rdap_coop.admission import client_key_of, identity_of
from rdap_coop.app_keys import (
    ANSWERED,
    BODY_CACHE,
    METRICS,
    PERSONAL_DATA_QUOTA,
    REGISTRY,
    SETTINGS,
)
from rdap_coop.core.access import Answered
from rdap_coop.core.disclosure import (
    admits_personal_data,
    disclose_domain,
    disclosed_fields,
    public_views,
)
from rdap_coop.core.errors import Forbidden, InvalidQuery, LookupFailed, NotFound
from rdap_coop.core.internal_http import health_document, readiness_document
from rdap_coop.core.models import ContactRole, DomainAbsence
from rdap_coop.core.names import (
    DomainName,
    RegistrarHandle,
    parse_domain_name,
    parse_entity_handle,
    parse_host_name,
)
from rdap_coop.core.redaction import AccessTier, redact_domain
from rdap_coop.core.wording import RESERVED_NAME_TEXT
from rdap_coop.middleware import error_response, rdap_body_response, rdap_response
from rdap_coop.public_bodies import PublicBodies
from rdap_coop.render import render_domain, render_help, render_nameserver, render_registrar
from rdap_coop.render_search import render_domain_search
from rdap_coop.request_context import render_context, request_url


def path_argument(request: web.Request) -> str:
    """The last path segment, percent-decoded as strict UTF-8 (RFC 9082 §3.1.3).

    aiohttp's own decoding replaces invalid UTF-8 silently; a lookup key must be
    either exactly what the client meant or a 400.
    """
    raw_segment = request.raw_path.split("?", 1)[0].rsplit("/", 1)[-1]
    try:
        # surrogateescape: raw bytes the pure-Python HTTP parser kept as surrogates
        # decode strictly below, like their percent-encoded twins.
        return unquote_to_bytes(raw_segment.encode("utf-8", "surrogateescape")).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidQuery("The query is not valid UTF-8.") from None


async def domain_lookup(request: web.Request) -> web.Response:
    name = parse_domain_name(path_argument(request))
    if not name.is_registrable_coop:
        raise NotFound("This server holds only names registered directly under .coop.")
    identity = identity_of(request)
    if identity.is_public:
        return await _public_domain_answer(request, name)
    result = await request.app[REGISTRY].fetch_domain(name)
    if isinstance(result, DomainAbsence):
        raise _domain_absent(result)
    disclosure = await disclose_domain(
        result.value,
        identity.viewer,
        client_key_of(request),
        request.app[PERSONAL_DATA_QUOTA],
        request.app[METRICS],
        "rdap",
    )
    request[ANSWERED] = Answered((result.value.record.roid,), disclosure.disclosed_fields)
    ctx = render_context(request, result.database_updated_at, show_unicode=name.used_unicode)
    return rdap_response(render_domain(disclosure.public, ctx))


async def _public_domain_answer(request: web.Request, name: DomainName) -> web.Response:
    """An anonymous answer: every public viewer is shown the same one or two documents,
    so they are rendered once per request URL and kept no longer than the object cache
    keeps the domain; the personal-data quota is still charged on every answer."""
    key = request_url(request, request.app[SETTINGS].rdap)
    bodies = request.app[BODY_CACHE].get(key)
    if bodies is None:
        result = await request.app[REGISTRY].fetch_domain(name)
        if isinstance(result, DomainAbsence):
            raise _domain_absent(result)
        ctx = render_context(request, result.database_updated_at, show_unicode=name.used_unicode)
        bodies = PublicBodies.render(public_views(result.value), ctx)
        request.app[BODY_CACHE].put(key, bodies)
    admitted = await admits_personal_data(
        bodies.personal_contacts,
        client_key_of(request),
        request.app[PERSONAL_DATA_QUOTA],
        request.app[METRICS],
        "rdap",
    )
    return rdap_body_response(*(bodies.within_quota if admitted else bodies.over_quota))


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
    request[ANSWERED] = Answered((result.value.roid,))
    ctx = render_context(request, result.database_updated_at, show_unicode=name.used_unicode)
    return rdap_response(render_nameserver(result.value, ctx))


async def entity_lookup(request: web.Request) -> web.Response:
    handle = parse_entity_handle(path_argument(request))
    if not isinstance(handle, RegistrarHandle):
        # Contact objects hold personal data and are shown only inside the domains
        # they serve; every contact handle gets the same answer, existing or not.
        raise NotFound("Contact entities are not available by lookup; see the domain.")
    result = await request.app[REGISTRY].fetch_registrar(handle.iana_id)
    if result.value is None:
        raise NotFound("No registrar with this IANA Registrar ID is accredited in .coop.")
    request[ANSWERED] = Answered((str(result.value.iana_id),))
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


REVERSE_SEARCH_PROPERTIES = ("fn", "email", "handle")
REVERSE_SEARCH_ROLES = {"registrant": ContactRole.REGISTRANT, "technical": ContactRole.TECHNICAL}


async def reverse_search_domains(request: web.Request) -> web.Response:
    """RFC 9536 ``domains/reverse_search/entity``: law enforcement only (SPEC EXT-21)."""
    identity = identity_of(request)
    if identity.viewer.tier is not AccessTier.LAW_ENFORCEMENT:
        raise Forbidden("Reverse search is available to accredited law enforcement only.")
    prop, value, role = _reverse_search_query(request)
    limit = request.app[SETTINGS].access.reverse_search_max_results
    found = await request.app[REGISTRY].search_domains_by_contact(prop, value, role, limit=limit)
    domains = found.value[:limit]
    views = [redact_domain(domain, identity.viewer) for domain in domains]
    request[ANSWERED] = Answered(
        tuple(domain.record.roid for domain in domains),
        tuple(sorted({name for domain, view in zip(domains, views, strict=True)
                      for name in disclosed_fields(domain, view)})),
    )
    ctx = render_context(request, found.database_updated_at)
    document = render_domain_search(views, ctx, truncated=len(found.value) > limit)
    return rdap_response(document)


def _reverse_search_query(request: web.Request) -> tuple[str, str, ContactRole | None]:
    given = [name for name in REVERSE_SEARCH_PROPERTIES if name in request.query]
    if len(given) != 1:
        raise InvalidQuery("Give exactly one of fn, email or handle.")
    value = request.query[given[0]].strip()
    if not value or len(value) > 255 or "*" in value:
        # Exact matches only: partial matching on personal data is not offered.
        raise InvalidQuery("The search value must be 1 to 255 characters, without '*'.")
    role_text = request.query.get("role")
    if role_text is not None and role_text not in REVERSE_SEARCH_ROLES:
        raise InvalidQuery("role must be registrant or technical.")
    return given[0], value, None if role_text is None else REVERSE_SEARCH_ROLES[role_text]


async def health(request: web.Request) -> web.Response:
    return _operator_response(200, health_document())


async def ready(request: web.Request) -> web.Response:
    readiness = request.app[REGISTRY].replicas.readiness()
    return _operator_response(200 if readiness.is_ready else 503, readiness_document(readiness))


def _operator_response(status: int, document: dict[str, object]) -> web.Response:
    return web.Response(
        body=orjson.dumps(document), status=status, content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )
