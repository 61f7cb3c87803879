"""RDAP searches (RFC 9082 §3.2) with paging, sorting and field sets (RFC 8977, 8982).

The same five steps as a lookup: parse the search and its paging parameters, (the
edge has already charged the search's higher cost), fetch one keyset page, apply the
disclosure policy to every result exactly as a lookup would, render. A cursor is
bound to the query and to the viewer, so it cannot be replayed by another client or
for another search, and it carries only public sort keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from rdap_coop.admission import client_key_of, identity_of
from rdap_coop.app_keys import (
    ANSWERED,
    CURSOR_CODEC,
    METRICS,
    PERSONAL_DATA_QUOTA,
    REGISTRY,
    SETTINGS,
)
from rdap_coop.core.access import Answered
from rdap_coop.core.cursor import CursorState, fingerprint
from rdap_coop.core.disclosure import disclose_domain
from rdap_coop.core.errors import InvalidQuery
from rdap_coop.core.models import Domain, Nameserver, PublicDomain, Registrar
from rdap_coop.core.names import parse_ip_address
from rdap_coop.core.search_patterns import (
    NamePattern,
    parse_domain_pattern,
    parse_host_pattern,
    parse_text_pattern,
)
from rdap_coop.core.search_queries import Page, Position, Searcher, SearchKind, SortKey, sorts_for
from rdap_coop.middleware import rdap_response
from rdap_coop.render_search import (
    FIELD_SETS,
    SearchMeta,
    render_domain_search,
    render_entity_search,
    render_nameserver_search,
)
from rdap_coop.request_context import render_context

SEARCH_PARAMETERS = {
    "domains": ("name", "nsLdhName", "nsIp"),
    "nameservers": ("name", "ip"),
    "entities": ("fn", "handle"),
}


@dataclass(frozen=True, slots=True)
class SearchRequest:
    kind: SearchKind
    match: str  # the $1 of the search: a LIKE pattern, a name or an address
    sort: SortKey
    descending: bool
    field_set: str
    count: bool

    @property
    def sort_text(self) -> str:
        return f"{self.sort.value}:d" if self.descending else self.sort.value

    def fingerprint(self) -> str:
        return fingerprint(self.kind.value, self.match, self.sort_text, self.field_set)


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_search(pattern: NamePattern, ldh_kind: SearchKind) -> tuple[SearchKind, str]:
    if pattern.exact is not None:
        return ldh_kind, _like_literal(pattern.exact.ldh_name)
    suffix = "." + _like_literal(pattern.suffix)
    if pattern.unicode_prefix is not None:
        # Only domains carry a Unicode name column; hosts are searched by A-label.
        if ldh_kind is not SearchKind.DOMAINS_BY_NAME:
            raise InvalidQuery("Host name patterns must be given in A-label form.")
        return SearchKind.DOMAINS_BY_UNICODE_NAME, _like_literal(pattern.unicode_prefix) + "%" + (
            suffix
        )
    assert pattern.ldh_prefix is not None
    return ldh_kind, _like_literal(pattern.ldh_prefix) + "%" + suffix


def _text_search(raw: str, kind: SearchKind) -> tuple[SearchKind, str]:
    pattern = parse_text_pattern(raw)
    if pattern.exact is not None:
        return kind, _like_literal(pattern.exact)
    assert pattern.prefix is not None
    return kind, _like_literal(pattern.prefix) + "%"


def _search_target(path: str, parameter: str, raw: str) -> tuple[SearchKind, str]:
    if parameter in ("nsIp", "ip"):
        address = str(parse_ip_address(raw))
        kind = SearchKind.DOMAINS_BY_NS_IP if path == "domains" else SearchKind.NAMESERVERS_BY_IP
        return kind, address
    if path == "domains" and parameter == "name":
        return _name_search(parse_domain_pattern(raw), SearchKind.DOMAINS_BY_NAME)
    if parameter == "nsLdhName":
        return _name_search(parse_host_pattern(raw), SearchKind.DOMAINS_BY_NS_NAME)
    if path == "nameservers":
        return _name_search(parse_host_pattern(raw), SearchKind.NAMESERVERS_BY_NAME)
    if parameter == "handle":
        if not raw.rstrip("*").isdigit():
            # Public entity search covers registrars, whose handles are IANA IDs.
            raise InvalidQuery("Entity handles searchable here are IANA Registrar IDs.")
        return _text_search(raw, SearchKind.REGISTRARS_BY_ID)
    return _text_search(raw, SearchKind.REGISTRARS_BY_NAME)


def parse_search(request: web.Request, path: str) -> SearchRequest:
    query = request.query
    given = [name for name in SEARCH_PARAMETERS[path] if name in query]
    if len(given) != 1:
        raise InvalidQuery(f"Give exactly one of: {', '.join(SEARCH_PARAMETERS[path])}.")
    kind, match = _search_target(path, given[0], query[given[0]])
    sort, descending = _parse_sort(query.get("sort"), sorts_for(kind))
    field_set = query.get("fieldSet", "full")
    if field_set not in FIELD_SETS:
        raise InvalidQuery("fieldSet must be one of: id, brief, full.")
    count = query.get("count", "false").lower()
    if count not in ("true", "false"):
        raise InvalidQuery("count must be true or false.")
    return SearchRequest(kind, match, sort, descending, field_set, count == "true")


def _parse_sort(raw: str | None, available: tuple[SortKey, ...]) -> tuple[SortKey, bool]:
    if raw is None or raw == "":
        return SortKey.NAME, False
    prop, _, direction = raw.partition(":")
    if direction not in ("", "a", "d") or prop not in {key.value for key in available}:
        # One sort property, a (default) or d; RFC 8977 §2.3.1.
        names = ", ".join(key.value for key in available)
        raise InvalidQuery(f"Unsupported sort; available: {names}, each with :a or :d.")
    return SortKey(prop), direction == "d"


async def search(request: web.Request) -> web.Response:
    path = request.path.rstrip("/").rsplit("/", 1)[-1]
    wanted = parse_search(request, path)
    identity = identity_of(request)
    viewer_key = identity.client_id or identity.viewer.tier.value
    codec = request.app[CURSOR_CODEC]
    after, page_number = None, 1
    if "cursor" in request.query:
        state = codec.decode(request.query["cursor"], query_fingerprint=wanted.fingerprint(),
                             viewer=viewer_key)
        name, sort_value = state.last_key
        after = Position(str(name), None if sort_value is None else str(sort_value))
        page_number = state.page_number
    size = request.app[SETTINGS].rdap.search_page_size
    page = await Searcher(request.app[REGISTRY]).page(
        wanted.kind, wanted.match, sort=wanted.sort, descending=wanted.descending,
        after=after, size=size + 1, count=wanted.count,
    )
    next_cursor = None
    if len(page.items) > size:
        last = page.positions[size - 1]
        next_cursor = codec.encode(CursorState(
            wanted.fingerprint(), viewer_key, (last.name, last.sort_value), page_number + 1
        ))
    meta = SearchMeta(
        field_set=wanted.field_set, sort=wanted.sort_text,
        available_sorts=tuple(key.value for key in sorts_for(wanted.kind)),
        page_size=size, page_number=page_number, total=page.total, next_cursor=next_cursor,
    )
    return rdap_response(await _render(request, wanted.kind, page, size, meta))


NAMESERVER_KINDS = frozenset({SearchKind.NAMESERVERS_BY_NAME, SearchKind.NAMESERVERS_BY_IP})
REGISTRAR_KINDS = frozenset({SearchKind.REGISTRARS_BY_NAME, SearchKind.REGISTRARS_BY_ID})


async def _render(
    request: web.Request, kind: SearchKind, page: Page, size: int, meta: SearchMeta
) -> dict[str, object]:
    ctx = render_context(request, page.database_updated_at)
    items = page.items[:size]
    if kind in NAMESERVER_KINDS:
        hosts = [item for item in items if isinstance(item, Nameserver)]
        request[ANSWERED] = Answered(tuple(host.roid for host in hosts))
        return render_nameserver_search(hosts, ctx, meta)
    if kind in REGISTRAR_KINDS:
        registrars = [item for item in items if isinstance(item, Registrar)]
        request[ANSWERED] = Answered(tuple(str(r.iana_id) for r in registrars))
        return render_entity_search(registrars, ctx, meta)
    views: list[PublicDomain] = []
    disclosed: set[str] = set()
    domains = [item for item in items if isinstance(item, Domain)]
    for domain in domains:
        disclosure = await disclose_domain(
            domain, identity_of(request).viewer, client_key_of(request),
            request.app[PERSONAL_DATA_QUOTA], request.app[METRICS], "rdap",
        )
        views.append(disclosure.public)
        disclosed.update(disclosure.disclosed_fields)
    request[ANSWERED] = Answered(tuple(d.record.roid for d in domains), tuple(sorted(disclosed)))
    return render_domain_search(views, ctx, meta=meta, extensions=())
