"""Search results (RFC 9083 §8) with paging, sorting and field sets (RFC 8977, 8982).

Each result is rendered as its lookup would be and then stripped of the members that
may only appear at the top level (``rdapConformance``, ``notices``, ``redacted``);
redactions of every result are listed once, at the top, with JSONPaths rooted at
that result (``$.domainSearchResults[i]``), so each path evaluates on the document
actually returned (RFC 9537 §5; SPEC SRCH-01). The ``id`` and ``brief`` field sets
carry no contact data at all, so they need no redaction entries (EXT-11).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from rdap_coop.core.models import Nameserver, PublicDomain, Registrar
from rdap_coop.render import (
    PROFILE_CONFORMANCE,
    REDACTED_CONFORMANCE,
    RenderContext,
    render_domain,
    render_nameserver,
    render_registrar,
    search_notices,
    shown_contacts,
)
from rdap_coop.render_entities import link
from rdap_coop.render_redacted import redacted_entries

REVERSE_SEARCH_CONFORMANCE = "reverse_search"
TOP_LEVEL_ONLY = ("rdapConformance", "notices", "redacted")
RDAP_MEDIA_TYPE = "application/rdap+json"

ID_MEMBERS = ("objectClassName", "handle", "ldhName", "unicodeName", "links")
BRIEF_MEMBERS = (*ID_MEMBERS, "status", "roles", "publicIds", "events", "ipAddresses")
FIELD_SETS: Mapping[str, tuple[str, ...] | None] = {
    "id": ID_MEMBERS,
    "brief": BRIEF_MEMBERS,
    "full": None,
}
FIELD_SET_DESCRIPTIONS = {
    "id": "Identifying members and the self link only.",
    "brief": "Identifiers, status, events and addresses; no entities.",
    "full": "Every member a lookup returns (the default).",
}
# RFC 8977 §2.3.1: each sort's JSONPath, relative to the results member of the answer
# (a nameserver search's results are nameserverSearchResults, not domainSearchResults).
SORT_JSON_PATHS = {
    "name": "[*].ldhName",
    "registrationDate": "[*].events[?(@.eventAction=='registration')].eventDate",
    "expirationDate": "[*].events[?(@.eventAction=='expiration')].eventDate",
    "lastChangedDate": "[*].events[?(@.eventAction=='last changed')].eventDate",
}
# Registrars are ordered by IANA Registrar ID, their handle (core/search_queries.py).
REGISTRAR_SORT_JSON_PATHS = {"name": "[*].handle"}


@dataclass(frozen=True, slots=True)
class SearchMeta:
    """Paging, sorting and subsetting state of one page (RFC 8977 §2, RFC 8982 §2)."""

    field_set: str
    sort: str  # e.g. "name" or "registrationDate:d"
    available_sorts: tuple[str, ...]
    page_size: int
    page_number: int
    total: int | None
    next_cursor: str | None
    extensions: tuple[str, ...] = ("paging", "sorting", "subsetting")


def render_domain_search(
    domains: Sequence[PublicDomain],
    ctx: RenderContext,
    *,
    truncated: bool = False,
    meta: SearchMeta | None = None,
    extensions: Sequence[str] = (REVERSE_SEARCH_CONFORMANCE,),
) -> dict[str, object]:
    results: list[dict[str, object]] = []
    redacted: list[dict[str, object]] = []
    field_set = "full" if meta is None else meta.field_set
    for index, domain in enumerate(domains):
        results.append(_subset(render_domain(domain, ctx), field_set))
        if field_set == "full":
            prefix = f"$.domainSearchResults[{index}]"
            redacted += redacted_entries(shown_contacts(domain.contacts), path_prefix=prefix)
    return _top(ctx, "domainSearchResults", results, redacted, truncated, meta, extensions)


def render_nameserver_search(
    hosts: Sequence[Nameserver], ctx: RenderContext, meta: SearchMeta
) -> dict[str, object]:
    results = [_subset(render_nameserver(host, ctx), meta.field_set) for host in hosts]
    return _top(ctx, "nameserverSearchResults", results, [], False, meta, ())


def render_entity_search(
    registrars: Sequence[Registrar], ctx: RenderContext, meta: SearchMeta
) -> dict[str, object]:
    results = [_subset(render_registrar(r, ctx), meta.field_set) for r in registrars]
    return _top(ctx, "entitySearchResults", results, [], False, meta, ())


def _subset(document: dict[str, object], field_set: str) -> dict[str, object]:
    for member in TOP_LEVEL_ONLY:
        document.pop(member, None)
    members = FIELD_SETS[field_set]
    if members is None:
        return document
    return {key: value for key, value in document.items() if key in members}


def _top(
    ctx: RenderContext,
    member: str,
    results: list[dict[str, object]],
    redacted: list[dict[str, object]],
    truncated: bool,
    meta: SearchMeta | None,
    extensions: Sequence[str],
) -> dict[str, object]:
    conformance = [*PROFILE_CONFORMANCE, *extensions]
    if meta is not None:
        conformance += meta.extensions
    if redacted:
        conformance.append(REDACTED_CONFORMANCE)
    top: dict[str, object] = {"rdapConformance": conformance, member: results}
    if meta is not None:
        top.update(_metadata(ctx, meta, member))
    top["notices"] = search_notices(ctx, truncated=truncated)
    if redacted:
        top["redacted"] = redacted
    return top


def with_params(url: str, changes: Mapping[str, str | None]) -> str:
    """``url`` with query parameters set (or removed when None), order kept."""
    parts = urlsplit(url)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
              if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(params)))


def _metadata(ctx: RenderContext, meta: SearchMeta, member: str) -> dict[str, object]:
    paging: dict[str, object] = {"pageSize": meta.page_size, "pageNumber": meta.page_number}
    if meta.total is not None:
        paging["totalCount"] = meta.total
    if meta.next_cursor is not None:
        href = with_params(ctx.request_url, {"cursor": meta.next_cursor})
        paging["links"] = [link(value=ctx.request_url, rel="next", href=href,
                                media_type=RDAP_MEDIA_TYPE)]
    return {
        "paging_metadata": paging,
        "sorting_metadata": {
            "currentSort": meta.sort,
            "availableSorts": [_sort_option(ctx, prop, member) for prop in meta.available_sorts],
        },
        "subsetting_metadata": {
            "currentFieldSet": meta.field_set,
            "availableFieldSets": [
                {
                    "name": name,
                    "default": name == "full",
                    "description": FIELD_SET_DESCRIPTIONS[name],
                    "links": [link(value=ctx.request_url, rel="alternate",
                                   href=with_params(ctx.request_url,
                                                    {"fieldSet": name, "cursor": None}),
                                   media_type=RDAP_MEDIA_TYPE)],
                }
                for name in FIELD_SETS
            ],
        },
    }


def _sort_option(ctx: RenderContext, prop: str, member: str) -> dict[str, object]:
    option: dict[str, object] = {"property": prop, "default": prop == "name"}
    paths = REGISTRAR_SORT_JSON_PATHS if member == "entitySearchResults" else SORT_JSON_PATHS
    if prop in paths:
        option["jsonPath"] = f"$.{member}{paths[prop]}"
    option["links"] = [link(value=ctx.request_url, rel="alternate",
                            href=with_params(ctx.request_url, {"sort": prop, "cursor": None}),
                            media_type=RDAP_MEDIA_TYPE)]
    return option
