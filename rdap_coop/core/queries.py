"""The read-only query layer: one async method per lookup, one round trip each.

SQL lives here as named constants with ``$n`` parameters. Each lookup returns plain
frozen dataclasses (``rdap_coop.core.models``) built from rows in this module only;
driver records and driver exceptions never leave it. Absence is a normal result
(``None``). Which replica answers, failover, and turning driver, socket and timeout
failures into ``BackendUnavailable`` are ``core/replicas.py``'s job.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from rdap_coop.core.cache import LookupCache
from rdap_coop.core.db import Connection
from rdap_coop.core.models import (
    Contact,
    ContactRole,
    DisclosableField,
    Domain,
    DomainAbsence,
    DomainRecord,
    DsRecord,
    HostSummary,
    Lookup,
    Nameserver,
    Registrar,
    ReservedName,
)
from rdap_coop.core.names import DomainName
from rdap_coop.core.replicas import ReplicaSet

log = logging.getLogger(__name__)

R = TypeVar("R")
Row = Mapping[str, Any]

# Contacts of a domain, registrant first, each as {"role": ..., "contact": {...}}.
_DOMAIN_CONTACTS = """
    SELECT coalesce(json_agg(json_build_object('role', x.role, 'contact', row_to_json(c))
                             ORDER BY x.ord, x.role), '[]')
      FROM (SELECT 'registrant'::text AS role, d.registrant_roid AS roid, 0 AS ord
             WHERE d.registrant_roid IS NOT NULL
            UNION ALL
            SELECT dc.role, dc.contact_roid, 1 FROM domain_contact dc
             WHERE dc.domain_roid = d.roid) AS x
      JOIN contact c ON c.roid = x.roid
"""

_HOST_ADDRESSES = """
    SELECT coalesce(json_agg(host(a.address) ORDER BY family(a.address), a.address), '[]')
      FROM host_address a WHERE a.host_roid = h.roid
"""

_DOMAIN_HOSTS = f"""
    SELECT coalesce(json_agg(json_build_object(
               'roid', h.roid, 'ldh_name', h.ldh_name, 'unicode_name', h.unicode_name,
               'statuses', h.statuses, 'addresses', ({_HOST_ADDRESSES}))
             ORDER BY dh.position, h.ldh_name), '[]')
      FROM domain_host dh JOIN host h ON h.roid = dh.host_roid
     WHERE dh.domain_roid = d.roid
"""

_DOMAIN_DS = """
    SELECT coalesce(json_agg(json_build_object(
               'key_tag', s.key_tag, 'algorithm', s.algorithm,
               'digest_type', s.digest_type, 'digest', s.digest)
             ORDER BY s.key_tag, s.algorithm, s.digest_type, s.digest), '[]')
      FROM ds_record s WHERE s.domain_roid = d.roid
"""

# One round trip answers every domain lookup: the domain with everything it embeds,
# or else the reservation that explains its absence, plus the replica's freshness.
DOMAIN_DOCUMENT = f"""
    json_build_object(
        'roid', d.roid, 'ldh_name', d.ldh_name, 'unicode_name', d.unicode_name,
        'statuses', d.statuses, 'created_at', d.created_at,
        'updated_at', d.updated_at, 'expires_at', d.expires_at,
        'transferred_at', d.transferred_at,
        'eligibility_verified_at', d.eligibility_verified_at,
        'registrar', (SELECT row_to_json(g) FROM registrar g WHERE g.iana_id = d.registrar_id),
        'contacts', ({_DOMAIN_CONTACTS}),
        'ds', ({_DOMAIN_DS}),
        'hosts', ({_DOMAIN_HOSTS}))
"""

FETCH_DOMAIN = f"""
SELECT registry_freshness() AS freshness,
       (SELECT json_build_object('ldh_name', r.ldh_name, 'reserved_by', r.reserved_by,
                                 'reason', r.reason)
          FROM reserved_name r WHERE r.ldh_name = $1) AS reserved,
       (SELECT {DOMAIN_DOCUMENT} FROM domain d WHERE d.ldh_name = $1) AS domain
"""

# RFC 9536 reverse search (law enforcement only): domains whose registrant or
# technical contact matches. $2 is the role ('registrant', 'tech' or NULL for
# either), $3 the result cap plus one (to tell a truncated result set).
_CONTACT_ROLES = """
    SELECT d2.roid AS domain_roid, d2.registrant_roid AS contact_roid, 'registrant' AS role
      FROM domain d2 WHERE d2.registrant_roid IS NOT NULL
    UNION ALL
    SELECT dc.domain_roid, dc.contact_roid, dc.role FROM domain_contact dc
     WHERE dc.role = 'tech'
"""


def _reverse_search(contact_match: str) -> str:
    return f"""
SELECT registry_freshness() AS freshness,
       (SELECT coalesce(json_agg(doc ORDER BY name), '[]')
          FROM (SELECT d.ldh_name AS name, {DOMAIN_DOCUMENT} AS doc
                  FROM domain d
                 WHERE d.roid IN (SELECT x.domain_roid FROM ({_CONTACT_ROLES}) AS x
                                    JOIN contact c ON c.roid = x.contact_roid
                                   WHERE ($2::text IS NULL OR x.role = $2)
                                     AND {contact_match})
                 ORDER BY d.ldh_name LIMIT $3) AS found) AS domains
"""


REVERSE_SEARCH_BY_NAME = _reverse_search("lower(c.name) = lower($1)")
REVERSE_SEARCH_BY_EMAIL = _reverse_search("lower(c.email) = lower($1)")
REVERSE_SEARCH_BY_HANDLE = _reverse_search("c.roid = upper($1)")
REVERSE_SEARCHES = {
    "fn": REVERSE_SEARCH_BY_NAME,
    "email": REVERSE_SEARCH_BY_EMAIL,
    "handle": REVERSE_SEARCH_BY_HANDLE,
}

HOST_DOCUMENT = f"""
    json_build_object(
        'roid', h.roid, 'ldh_name', h.ldh_name, 'unicode_name', h.unicode_name,
        'statuses', h.statuses, 'created_at', h.created_at, 'updated_at', h.updated_at,
        'addresses', ({_HOST_ADDRESSES}),
        'is_linked', EXISTS (SELECT 1 FROM domain_host dh WHERE dh.host_roid = h.roid),
        'registrar', (SELECT row_to_json(g) FROM registrar g WHERE g.iana_id = h.registrar_id))
"""

FETCH_NAMESERVER = f"""
SELECT registry_freshness() AS freshness,
       (SELECT {HOST_DOCUMENT} FROM host h WHERE h.ldh_name = $1) AS host
"""

# WHOIS "nameserver <IP>": every host holding the address (RFC 3912 has no paging;
# the cap keeps one reply bounded).
FETCH_NAMESERVERS_BY_ADDRESS = f"""
SELECT registry_freshness() AS freshness,
       (SELECT coalesce(json_agg(doc ORDER BY name), '[]')
          FROM (SELECT h.ldh_name AS name, {HOST_DOCUMENT} AS doc
                  FROM host_address a JOIN host h ON h.roid = a.host_roid
                 WHERE a.address = $1
                 ORDER BY h.ldh_name LIMIT $2) AS found) AS hosts
"""

FETCH_REGISTRAR = """
SELECT registry_freshness() AS freshness,
       (SELECT row_to_json(g) FROM registrar g WHERE g.iana_id = $1) AS registrar
"""

FETCH_REGISTRAR_BY_NAME = """
SELECT registry_freshness() AS freshness,
       (SELECT row_to_json(g) FROM registrar g WHERE lower(g.name) = lower($1)) AS registrar
"""

FETCH_FRESHNESS = "SELECT registry_freshness() AS freshness"

_ROLE_BY_COLUMN = {
    "registrant": ContactRole.REGISTRANT,
    "tech": ContactRole.TECHNICAL,
    "admin": ContactRole.ADMINISTRATIVE,
    "billing": ContactRole.BILLING,
}

_COLUMN_BY_ROLE = {role: column for column, role in _ROLE_BY_COLUMN.items()}



class Registry:
    """The lookups both front ends share, over one pool of read-only connections."""

    def __init__(
        self,
        replicas: ReplicaSet,
        *,
        cache: LookupCache[object] | None = None,
    ) -> None:
        self.replicas = replicas
        # Plain data only, before any policy (see core/cache.py); absent: no caching.
        self._cache: LookupCache[object] = (
            cache if cache is not None else LookupCache(ttl_seconds=0)
        )

    @property
    def cache_ttl_seconds(self) -> float:
        """How long fetched objects are kept; whatever is derived from them keeps no longer."""
        return self._cache.ttl_seconds

    async def fetch_domain(self, name: DomainName) -> Lookup[Domain] | DomainAbsence:
        key = ("domain", name.ldh_name)
        cached = self._cache.get(key)
        if isinstance(cached, Lookup | DomainAbsence):
            return cached
        result = await self._fetch_domain(name)
        self._cache.put(key, result)
        return result

    async def _fetch_domain(self, name: DomainName) -> Lookup[Domain] | DomainAbsence:
        row = await self.fetch_row(FETCH_DOMAIN, name.ldh_name)
        freshness: datetime = row["freshness"]
        if row["domain"] is not None:
            return Lookup(domain_from_json(row["domain"]), freshness)
        reserved = row["reserved"]
        return DomainAbsence(
            reserved=None if reserved is None else ReservedName(**reserved),
            database_updated_at=freshness,
        )

    async def search_domains_by_contact(
        self, prop: str, value: str, role: ContactRole | None, *, limit: int
    ) -> Lookup[tuple[Domain, ...]]:
        """Domains whose registrant or technical contact has ``prop`` (fn, email, handle)
        equal to ``value``, at most ``limit + 1`` (so the caller can tell truncation)."""
        role_column = None if role is None else _COLUMN_BY_ROLE[role]
        row = await self.fetch_row(REVERSE_SEARCHES[prop], value, role_column, limit + 1)
        domains = tuple(domain_from_json(item) for item in row["domains"])
        return Lookup(domains, row["freshness"])

    async def fetch_nameserver(self, name: DomainName) -> Lookup[Nameserver | None]:
        """The host, or ``None`` in ``value`` (freshness is reported either way)."""
        row = await self.fetch_row(FETCH_NAMESERVER, name.ldh_name)
        host = None if row["host"] is None else nameserver_from_json(row["host"])
        return Lookup(host, row["freshness"])

    async def fetch_nameservers_by_address(
        self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, limit: int = 50
    ) -> Lookup[tuple[Nameserver, ...]]:
        """Hosts holding ``address``, by name, at most ``limit``; empty when none."""
        row = await self.fetch_row(FETCH_NAMESERVERS_BY_ADDRESS, address, limit)
        hosts = tuple(nameserver_from_json(item) for item in row["hosts"])
        return Lookup(hosts, row["freshness"])

    async def fetch_registrar(self, iana_id: int) -> Lookup[Registrar | None]:
        row = await self.fetch_row(FETCH_REGISTRAR, iana_id)
        return self._registrar_lookup(row)

    async def fetch_registrar_by_name(self, name: str) -> Lookup[Registrar | None]:
        """The registrar whose name matches ``name`` case-insensitively."""
        row = await self.fetch_row(FETCH_REGISTRAR_BY_NAME, name)
        return self._registrar_lookup(row)

    @staticmethod
    def _registrar_lookup(row: Row) -> Lookup[Registrar | None]:
        data = row["registrar"]
        return Lookup(None if data is None else registrar_from_json(data), row["freshness"])

    async def fetch_freshness(self) -> datetime:
        row = await self.fetch_row(FETCH_FRESHNESS)
        freshness: datetime = row["freshness"]
        return freshness

    async def fetch_row(self, query: str, *args: object) -> Row:
        async def run(connection: Connection) -> Row:
            row = await connection.fetchrow(query, *args)
            assert row is not None, "lookup queries always return one row"
            return dict(row.items())

        return await self._with_connection(run)

    async def _with_connection(self, work: Callable[[Connection], Awaitable[R]]) -> R:
        return await self.replicas.run(work)


def _timestamp(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _required_timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value)


def registrar_from_json(data: Row) -> Registrar:
    return Registrar(
        iana_id=data["iana_id"],
        name=data["name"],
        url=data["url"],
        whois_server=data["whois_server"],
        rdap_base_url=data["rdap_base_url"],
        street=tuple(data["street"] or ()),
        city=data["city"],
        state_province=data["state_province"],
        postal_code=data["postal_code"],
        country_code=data["country_code"].strip().upper(),
        phone=data["phone"],
        fax=data["fax"],
        email=data["email"],
        abuse_email=data["abuse_email"],
        abuse_phone=data["abuse_phone"],
        created_at=_required_timestamp(data["created_at"]),
        updated_at=_timestamp(data["updated_at"]),
    )


def contact_from_json(data: Row) -> Contact:
    return Contact(
        roid=data["roid"],
        name=data["name"],
        organisation=data["organisation"],
        street=tuple(data["street"] or ()),
        city=data["city"],
        state_province=data["state_province"],
        postal_code=data["postal_code"],
        country_code=data["country_code"].strip().upper(),
        voice=data["voice"],
        voice_ext=data["voice_ext"],
        fax=data["fax"],
        fax_ext=data["fax_ext"],
        email=data["email"],
        disclose=frozenset(DisclosableField(flag) for flag in data["disclose"] or ()),
    )


def _addresses(values: list[str]) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]:
    return tuple(ipaddress.ip_address(value) for value in values)


def _host_summary_from_json(data: Row) -> HostSummary:
    return HostSummary(
        roid=data["roid"],
        ldh_name=data["ldh_name"],
        unicode_name=data["unicode_name"],
        statuses=tuple(data["statuses"]),
        addresses=_addresses(data["addresses"]),
    )


def domain_from_json(data: Row) -> Domain:
    record = DomainRecord(
        roid=data["roid"],
        ldh_name=data["ldh_name"],
        unicode_name=data["unicode_name"],
        registrar=registrar_from_json(data["registrar"]),
        statuses=tuple(data["statuses"]),
        created_at=_required_timestamp(data["created_at"]),
        updated_at=_timestamp(data["updated_at"]),
        expires_at=_required_timestamp(data["expires_at"]),
        transferred_at=_timestamp(data["transferred_at"]),
        ds_records=tuple(DsRecord(**item) for item in data["ds"]),
        nameservers=tuple(_host_summary_from_json(item) for item in data["hosts"]),
        eligibility_verified_at=_timestamp(data["eligibility_verified_at"]),
    )
    contacts = tuple(
        (_ROLE_BY_COLUMN[item["role"]], contact_from_json(item["contact"]))
        for item in data["contacts"]
    )
    return Domain(record=record, contacts=contacts)


def nameserver_from_json(data: Row) -> Nameserver:
    return Nameserver(
        roid=data["roid"],
        ldh_name=data["ldh_name"],
        unicode_name=data["unicode_name"],
        registrar=registrar_from_json(data["registrar"]),
        statuses=tuple(data["statuses"]),
        addresses=_addresses(data["addresses"]),
        created_at=_required_timestamp(data["created_at"]),
        updated_at=_timestamp(data["updated_at"]),
        is_linked=bool(data["is_linked"]),
    )
