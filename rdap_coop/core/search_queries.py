"""Searches (RFC 9082 §3.2) with keyset pagination: SQL, one round trip per page.

Every search reads one page in one statement: the rows after the cursor's position
in the chosen order (never OFFSET, so the last page costs what the first does), the
replica's freshness, and -- only when asked (RFC 8977 ``count=true``) -- the total.
Each order ends with the object's unique name, so a position is a total order and
paging returns every row exactly once while the data is stable.

The statements are generated once, at import, from fixed templates: which search,
which sort and which direction. Nothing a client sends is ever formatted into SQL;
it only travels as ``$n`` parameters. Names are compared with ``COLLATE "C"`` so
prefix matching and ordering use the byte-order indexes whatever the database's
default collation is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from rdap_coop.core.models import Domain, Nameserver, Registrar
from rdap_coop.core.queries import (
    DOMAIN_DOCUMENT,
    HOST_DOCUMENT,
    Registry,
    domain_from_json,
    nameserver_from_json,
    registrar_from_json,
)


class SearchKind(enum.StrEnum):
    DOMAINS_BY_NAME = "domains-name"
    DOMAINS_BY_UNICODE_NAME = "domains-unicode-name"
    DOMAINS_BY_NS_NAME = "domains-ns-name"
    DOMAINS_BY_NS_IP = "domains-ns-ip"
    NAMESERVERS_BY_NAME = "nameservers-name"
    NAMESERVERS_BY_IP = "nameservers-ip"
    REGISTRARS_BY_NAME = "registrars-fn"
    REGISTRARS_BY_ID = "registrars-handle"


class SortKey(enum.StrEnum):
    """RFC 8977 sort properties we offer; each maps to a public column only (EXT-04)."""

    NAME = "name"
    REGISTRATION_DATE = "registrationDate"
    EXPIRATION_DATE = "expirationDate"
    LAST_CHANGED_DATE = "lastChangedDate"


@dataclass(frozen=True, slots=True)
class _Search:
    source: str  # FROM ... (with the alias the expressions use)
    match: str  # WHERE condition on $1
    name: str  # the unique name, the final tie-breaker
    document: str
    sorts: tuple[SortKey, ...]
    key: str  # the primary key, to join the page's keys back to their rows


_DOMAIN_SORTS = tuple(SortKey)
_NAME_ONLY = (SortKey.NAME,)
_SORT_COLUMNS: Final = {
    SortKey.REGISTRATION_DATE: "d.created_at",
    SortKey.EXPIRATION_DATE: "d.expires_at",
    SortKey.LAST_CHANGED_DATE: "coalesce(d.updated_at, d.created_at)",
}

def _name_match(column: str) -> str:
    """``column LIKE $1``, where ``%`` may not cross a dot (RFC 9082 §4.1, SPEC Q-13).

    $1 is ``<prefix>%<suffix>`` or an exact name: the text matched by ``%`` -- what lies
    before the fixed suffix -- must then hold no '.'.
    """
    return (
        f'{column} COLLATE "C" LIKE $1 AND (strpos($1, \'%\') = 0 OR strpos(left({column}, '
        f"length({column}) - length(split_part($1, '%', 2))), '.') = 0)"
    )


def _host_name_match(column: str) -> str:
    """As ``_name_match``, plus the suffix matched on the reversed name.

    Host patterns are selective by their suffix (``ns*.example.coop``: most hosts
    start with "ns"), so the reversed-name index finds the zone first.
    """
    return (
        f"{_name_match(column)} AND reverse({column}) COLLATE \"C\" LIKE "
        f"reverse(split_part($1, '%', 2)) || '%'"
    )


_SEARCHES: Final = {
    SearchKind.DOMAINS_BY_NAME: _Search(
        "domain d", _name_match("d.ldh_name"), 'd.ldh_name COLLATE "C"',
        DOMAIN_DOCUMENT, _DOMAIN_SORTS, "d.roid"),
    SearchKind.DOMAINS_BY_UNICODE_NAME: _Search(
        # Ordered by the U-label the search is on, so pages come in index order.
        "domain d", _name_match("d.unicode_name"), 'd.unicode_name COLLATE "C"',
        DOMAIN_DOCUMENT, _DOMAIN_SORTS, "d.roid"),
    SearchKind.DOMAINS_BY_NS_NAME: _Search(
        "domain d",
        "d.roid IN (SELECT dh.domain_roid FROM domain_host dh JOIN host h"
        f" ON h.roid = dh.host_roid WHERE {_host_name_match('h.ldh_name')})",
        'd.ldh_name COLLATE "C"', DOMAIN_DOCUMENT, _DOMAIN_SORTS, "d.roid"),
    SearchKind.DOMAINS_BY_NS_IP: _Search(
        "domain d",
        "d.roid IN (SELECT dh.domain_roid FROM domain_host dh JOIN host_address a"
        " ON a.host_roid = dh.host_roid WHERE a.address = $1::inet)",
        'd.ldh_name COLLATE "C"', DOMAIN_DOCUMENT, _DOMAIN_SORTS, "d.roid"),
    SearchKind.NAMESERVERS_BY_NAME: _Search(
        "host h", _host_name_match("h.ldh_name"), 'h.ldh_name COLLATE "C"',
        HOST_DOCUMENT, _NAME_ONLY, "h.roid"),
    SearchKind.NAMESERVERS_BY_IP: _Search(
        "host h",
        "h.roid IN (SELECT a.host_roid FROM host_address a WHERE a.address = $1::inet)",
        'h.ldh_name COLLATE "C"', HOST_DOCUMENT, _NAME_ONLY, "h.roid"),
    SearchKind.REGISTRARS_BY_NAME: _Search(
        "registrar g", 'lower(g.name) COLLATE "C" LIKE $1', "lpad(g.iana_id::text, 10, '0')",
        "row_to_json(g)", _NAME_ONLY, "g.iana_id"),
    SearchKind.REGISTRARS_BY_ID: _Search(
        "registrar g", "g.iana_id::text LIKE $1", "lpad(g.iana_id::text, 10, '0')",
        "row_to_json(g)", _NAME_ONLY, "g.iana_id"),
}


def _page_sql(search: _Search, sort: SortKey, descending: bool, first: bool) -> str:
    """One page: $1 match, $2 page size, $3 count?, then $4 last name, $5 last sort value.

    The page's keys are chosen first (an index scan where the order allows it) and only
    those rows are turned into documents, so a page costs its own size, not the match's.
    """
    direction = "DESC" if descending else "ASC"
    compare = "<" if descending else ">"
    if sort is SortKey.NAME:
        order = f"{search.name} {direction}"
        keyset = f"{search.name} {compare} $4"
        sort_value = "NULL::timestamptz"
    else:
        column = _SORT_COLUMNS[sort]
        order = f"{column} {direction}, {search.name} {direction}"
        keyset = f"({column} {compare} $5 OR ({column} = $5 AND {search.name} {compare} $4))"
        sort_value = column
    where = search.match if first else f"{search.match} AND {keyset}"
    return f"""
SELECT registry_freshness() AS freshness,
       (SELECT coalesce(json_agg(json_build_object('doc', {search.document}, 'name', k.name,
                                                   'sort', k.sort)
                                 ORDER BY k.sort {direction}, k.name {direction}), '[]')
          FROM (SELECT {search.key} AS key, {search.name} AS name, {sort_value} AS sort
                  FROM {search.source}
                 WHERE {where}
                 ORDER BY {order}
                 LIMIT $2) AS k
          JOIN {search.source} ON {search.key} = k.key) AS items,
       CASE WHEN $3 THEN (SELECT count(*) FROM {search.source} WHERE {search.match}) END
           AS total
"""


SEARCH_SQL: Final = {
    (kind, sort, descending, first): _page_sql(search, sort, descending, first)
    for kind, search in _SEARCHES.items()
    for sort in search.sorts
    for descending in (False, True)
    for first in (True, False)
}


def sorts_for(kind: SearchKind) -> tuple[SortKey, ...]:
    return _SEARCHES[kind].sorts


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page ended: the last row's unique name and sort value (public data)."""

    name: str
    sort_value: str | None


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[Any, ...]
    positions: tuple[Position, ...]  # where each item stands in the order
    total: int | None
    database_updated_at: datetime


class Searcher:
    """Search pages over the registry's read-only pool."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def page(
        self,
        kind: SearchKind,
        match: str,
        *,
        sort: SortKey,
        descending: bool,
        after: Position | None,
        size: int,
        count: bool,
    ) -> Page:
        query = SEARCH_SQL[(kind, sort, descending, after is None)]
        args: list[object] = [match, size, count]
        if after is not None:
            args.append(after.name)
            if sort is not SortKey.NAME:
                args.append(datetime.fromisoformat(after.sort_value or ""))
        row = await self._registry.fetch_row(query, *args)
        items = row["items"]
        build = _BUILDERS[kind]
        return Page(
            items=tuple(build(item["doc"]) for item in items),
            positions=tuple(Position(item["name"], item["sort"]) for item in items),
            total=row["total"],
            database_updated_at=row["freshness"],
        )


def _domain(data: Any) -> Domain:
    return domain_from_json(data)


def _host(data: Any) -> Nameserver:
    return nameserver_from_json(data)


def _registrar(data: Any) -> Registrar:
    return registrar_from_json(data)


_BUILDERS: Final = {
    SearchKind.DOMAINS_BY_NAME: _domain,
    SearchKind.DOMAINS_BY_UNICODE_NAME: _domain,
    SearchKind.DOMAINS_BY_NS_NAME: _domain,
    SearchKind.DOMAINS_BY_NS_IP: _domain,
    SearchKind.NAMESERVERS_BY_NAME: _host,
    SearchKind.NAMESERVERS_BY_IP: _host,
    SearchKind.REGISTRARS_BY_NAME: _registrar,
    SearchKind.REGISTRARS_BY_ID: _registrar,
}

