"""Deterministic sample .coop registry: realistic rows, generated from a seed and bulk-loaded.

The demo, the tests and load measurements need a registry that looks like the real one
(IDNs in many scripts, DNSSEC, glue, holds, redemption, shared contacts and hosts,
consent flags) without anyone's personal data. Everything derives from ``(domains,
seed)``: ``random.Random(seed)`` and the fixed instant ``SAMPLE_EPOCH``, never the wall
clock, so the same arguments give byte-identical rows. The ``SHOWCASE`` objects are fixed
whatever the arguments, for golden files, the README and the demo. Rows come in chunks,
so a million domains stream through COPY in bounded memory.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from importlib import resources
from itertools import accumulate
from types import MappingProxyType
from typing import Final, NamedTuple

import asyncpg

from rdap_coop.sample_words import (
    DISCLOSE_CHOICES,
    DISCLOSE_WEIGHTS,
    DNS_PROVIDERS,
    ELIGIBILITY_VERIFIERS,
    LATEST_GENERATED,
    LDH_LABEL,
    LOCALES,
    REGISTRARS,
    RESERVED_NAMES,
    SIBLING_SUFFIXES,
    STATUS_PROFILES,
    STATUS_WEIGHTS,
    Locale,
    RegistrarSeed,
    between,
    domain_names,
    draw_domain_dates,
    draw_ds_records,
    draw_glue_addresses,
    draw_person,
    draw_phone,
    draw_postal_code,
    fold,
    slug,
)
from rdap_coop.sample_words import SAMPLE_EPOCH as SAMPLE_EPOCH  # re-exported

SHOWCASE: Final[Mapping[str, str]] = MappingProxyType({
    "example.coop": "DNSSEC-signed, glue on ns1/ns2.example.coop, clientTransferProhibited, "
    "contacts withheld",
    "coopérative.coop": "IDN, Latin script (xn--cooprative-e7a.coop)",
    "協同組合.coop": "IDN, Han script (xn--3kr4pla2233b.coop)",
    "disputed.coop": "UDRP lock: server update, transfer and delete prohibited",
    "open-books.coop": "registrant consented to publish name, e-mail and phone",
    "expiring.coop": "pendingDelete in the redemption period",
    "housing.coop": "not registered: a sponsor-reserved Community Name",
})
"""Objects present whatever the size and seed, by the name a user would type."""


class RegistrarRow(NamedTuple):
    iana_id: int
    name: str
    url: str
    whois_server: str | None
    rdap_base_url: str | None
    street: tuple[str, ...]
    city: str
    state_province: str | None
    postal_code: str | None
    country_code: str
    phone: str | None
    fax: str | None
    email: str
    abuse_email: str
    abuse_phone: str
    created_at: datetime
    updated_at: datetime | None


class ContactRow(NamedTuple):
    roid: str
    registrar_id: int
    name: str
    organisation: str | None
    street: tuple[str, ...]
    city: str
    state_province: str | None
    postal_code: str | None
    country_code: str
    voice: str | None
    voice_ext: str | None
    fax: str | None
    fax_ext: str | None
    email: str
    disclose: tuple[str, ...]
    statuses: tuple[str, ...]
    created_at: datetime
    updated_at: datetime | None


class DomainRow(NamedTuple):
    roid: str
    ldh_name: str
    unicode_name: str | None
    registrar_id: int
    registrant_roid: str | None
    statuses: tuple[str, ...]
    created_at: datetime
    updated_at: datetime | None
    expires_at: datetime
    transferred_at: datetime | None
    eligibility_verified_by: str | None
    eligibility_verified_at: datetime | None


class DomainContactRow(NamedTuple):
    domain_roid: str
    role: str
    contact_roid: str


class DsRecordRow(NamedTuple):
    domain_roid: str
    key_tag: int
    algorithm: int
    digest_type: int
    digest: str


class HostRow(NamedTuple):
    roid: str
    ldh_name: str
    unicode_name: str | None
    registrar_id: int
    statuses: tuple[str, ...]
    created_at: datetime
    updated_at: datetime | None


class HostAddressRow(NamedTuple):
    host_roid: str
    address: str


class DomainHostRow(NamedTuple):
    domain_roid: str
    host_roid: str
    position: int


class ReservedNameRow(NamedTuple):
    ldh_name: str
    reserved_by: str
    reason: str


class RegistryStateRow(NamedTuple):
    singleton: bool
    last_change_at: datetime


@dataclass(frozen=True, slots=True)
class SampleRegistry:
    """Rows per table in schema column order; fields are in foreign-key load order."""

    registrars: tuple[RegistrarRow, ...] = ()
    contacts: tuple[ContactRow, ...] = ()
    hosts: tuple[HostRow, ...] = ()
    domains: tuple[DomainRow, ...] = ()
    domain_contacts: tuple[DomainContactRow, ...] = ()
    ds_records: tuple[DsRecordRow, ...] = ()
    host_addresses: tuple[HostAddressRow, ...] = ()
    domain_hosts: tuple[DomainHostRow, ...] = ()
    reserved_names: tuple[ReservedNameRow, ...] = ()
    registry_state: tuple[RegistryStateRow, ...] = ()


# Table and columns of each SampleRegistry field, in the order COPY must load them.
TABLES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("registrars", "registrar", RegistrarRow._fields),
    ("contacts", "contact", ContactRow._fields),
    ("hosts", "host", HostRow._fields),
    ("domains", "domain", DomainRow._fields),
    ("domain_contacts", "domain_contact", DomainContactRow._fields),
    ("ds_records", "ds_record", DsRecordRow._fields),
    ("host_addresses", "host_address", HostAddressRow._fields),
    ("domain_hosts", "domain_host", DomainHostRow._fields),
    ("reserved_names", "reserved_name", ReservedNameRow._fields),
    ("registry_state", "registry_state", RegistryStateRow._fields),
)


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What was loaded; ``seconds`` covers connecting, the schema, COPY and ANALYZE."""

    domains: int
    contacts: int
    hosts: int
    registrars: int
    seconds: float


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------- the showcase objects
_LINKED = ("ok", "linked")  # RFC 5732 §2.3 / RFC 5733 §2.2: "ok" may combine only with "linked"
_SERVER_LOCK = ("serverDeleteProhibited", "serverTransferProhibited", "serverUpdateProhibited")
_VERIFIED_BY = "dotCoop Verification"
SHOWCASE_REGISTRAR_ID: Final = 1234

_JANE = ContactRow(
    roid="C1-COOP", registrar_id=SHOWCASE_REGISTRAR_ID, name="Jane Cooper",
    organisation="Example Cooperative Society Ltd", street=("12 Harbour Road", "Unit 4"),
    city="Manchester", state_province="Greater Manchester", postal_code="M1 2AB",
    country_code="GB", voice="+44.1612345678", voice_ext="101", fax="+44.1612345679",
    fax_ext=None, email="jane.cooper@example-coop.test", disclose=(), statuses=_LINKED,
    created_at=_utc(2003, 6, 12, 9, 25), updated_at=_utc(2025, 11, 3, 10))
_SHOWCASE_CONTACTS: Final = (
    _JANE,
    _JANE._replace(roid="C2-COOP", name="Tom Nettle", voice="+44.1612345600", voice_ext=None,
                   fax=None, email="noc@example-coop.test", created_at=_utc(2003, 6, 12, 9, 26),
                   updated_at=None),
    _JANE._replace(roid="C3-COOP", name="Marie Lefèvre", organisation="Coopérative des Artisans "
                   "Réunis", street=("18 rue des Vignerons",), city="Lyon", state_province=None,
                   postal_code="69004", country_code="FR", voice="+33.478654321", voice_ext=None,
                   fax=None, email="marie.lefevre@artisans-reunis.test", disclose=("org", "addr"),
                   created_at=_utc(2012, 5, 21, 10, 10), updated_at=None),
    _JANE._replace(roid="C4-COOP", name="佐藤 花子", organisation="みらい協同組合",
                   street=("中京区烏丸通1-2-3",), city="京都市", state_province="京都府",
                   postal_code="604-8001", country_code="JP", voice="+81.752001234",
                   voice_ext=None, fax=None, email="hanako.sato@mirai-kyodo.test",
                   created_at=_utc(2014, 3, 18, 2, 35), updated_at=_utc(2025, 12, 1, 6)),
    _JANE._replace(roid="C5-COOP", name="Alex Morgan", organisation="Disputed Names Trading "
                   "Co-op", street=("55 Canal Street",), city="Birmingham",
                   state_province="West Midlands", postal_code="B1 1AA", voice="+44.1214960000",
                   voice_ext=None, fax=None, email="alex.morgan@disputed-coop.test",
                   created_at=_utc(2019, 8, 7, 16, 15), updated_at=None),
    _JANE._replace(roid="C6-COOP", name="Priya Shah",
                   organisation="Open Books Accounting Co-operative Ltd", street=("3 Ledger Lane",),
                   city="Leeds", state_province="West Yorkshire", postal_code="LS1 4AP",
                   voice="+44.1132345678", voice_ext=None, fax=None,
                   email="priya.shah@open-books.test", disclose=("name", "voice", "email"),
                   created_at=_utc(2010, 1, 11, 11, 55), updated_at=_utc(2026, 7, 1, 8, 30)),
    _JANE._replace(roid="C7-COOP", name="Carlos Méndez",
                   organisation="Cooperativa de Consumo La Esperanza",
                   street=("Calle Mayor 14", "2º B"), city="Pamplona", state_province="Navarra",
                   postal_code="31001", country_code="ES", voice="+34.948123456", voice_ext=None,
                   fax=None, email="carlos.mendez@la-esperanza.test",
                   created_at=_utc(2008, 9, 20, 18, 40), updated_at=None),
)
_SHOWCASE_HOSTS: Final = (
    HostRow("H1-COOP", "ns1.example.coop", None, 1234, _LINKED, _utc(2003, 6, 12, 9, 40), None),
    HostRow("H2-COOP", "ns2.example.coop", None, 1234, _LINKED, _utc(2003, 6, 12, 9, 41), None),
)
_SHOWCASE_ADDRESSES: Final = (HostAddressRow("H1-COOP", "192.0.2.53"),
                              HostAddressRow("H1-COOP", "2001:db8::53"),
                              HostAddressRow("H2-COOP", "198.51.100.53"))


def _showcase_domain(roid: str, ldh: str, unicode_name: str | None, registrant: str,
                     statuses: tuple[str, ...], created: datetime, updated: datetime | None,
                     expires: datetime) -> DomainRow:
    return DomainRow(roid, ldh, unicode_name, SHOWCASE_REGISTRAR_ID, registrant, statuses,
                     created, updated, expires, None, _VERIFIED_BY, created + timedelta(days=8))


_SHOWCASE_DOMAINS: Final = (
    _showcase_domain("D1-COOP", "example.coop", None, "C1-COOP", ("clientTransferProhibited",),
                     _utc(2003, 6, 12, 9, 30), _utc(2026, 3, 2, 14, 5), _utc(2027, 6, 12, 9, 30)),
    _showcase_domain("D2-COOP", "xn--cooprative-e7a.coop", "coopérative.coop", "C3-COOP",
                     ("ok",), _utc(2012, 5, 21, 10, 15), None, _utc(2027, 5, 21, 10, 15)),
    _showcase_domain("D3-COOP", "xn--3kr4pla2233b.coop", "協同組合.coop", "C4-COOP", ("ok",),
                     _utc(2014, 3, 18, 2, 40), _utc(2025, 12, 1, 6), _utc(2027, 3, 18, 2, 40)),
    # The UDRP lock is the registry's last change, after every generated one.
    _showcase_domain("D4-COOP", "disputed.coop", None, "C5-COOP", _SERVER_LOCK,
                     _utc(2019, 8, 7, 16, 20), _utc(2026, 10, 31, 23, 30),
                     _utc(2027, 8, 7, 16, 20)),
    _showcase_domain("D5-COOP", "open-books.coop", None, "C6-COOP", ("ok",),
                     _utc(2010, 1, 11, 12), _utc(2026, 7, 1, 8, 30), _utc(2028, 1, 11, 12)),
    _showcase_domain("D6-COOP", "expiring.coop", None, "C7-COOP",
                     ("pendingDelete", "redemptionPeriod"), _utc(2008, 9, 20, 18, 45),
                     _utc(2026, 10, 20, 3), _utc(2026, 9, 20, 18, 45)),
)
_SHOWCASE_TECH: Final = (("D1-COOP", "C2-COOP"), ("D2-COOP", "C3-COOP"), ("D3-COOP", "C4-COOP"),
                         ("D4-COOP", "C5-COOP"), ("D5-COOP", "C6-COOP"), ("D6-COOP", "C7-COOP"))
_SHOWCASE_NAMESERVERS: Final = (
    ("D1-COOP", ("ns1.example.coop", "ns2.example.coop")),
    ("D2-COOP", ("dns1.hebergement-coop.fr", "dns2.hebergement-coop.fr")),
    ("D3-COOP", ("ns1.kyodo-cloud.jp", "ns2.kyodo-cloud.jp")),
    ("D4-COOP", ("ns1.dnsprovider.net", "ns2.dnsprovider.net")),
    ("D5-COOP", ("a.ns.hosting-coop.org", "b.ns.hosting-coop.org", "c.ns.hosting-coop.org")),
    ("D6-COOP", ("ns1.dnsprovider.net", "ns2.dnsprovider.net")),
)
_SHOWCASE_DS: Final = (  # one KSK of example.coop, published with SHA-256 and SHA-384 digests
    DsRecordRow("D1-COOP", 48213, 13, 2,
                "C66EAF1FD859B8E44FF9ADD5CCBBCC7ACBBC08419B3BD5EE43B06FE80E259CC1"),
    DsRecordRow("D1-COOP", 48213, 13, 4,
                "7881F0C2CEE140E273DC3C16A8C35173B598B1458F81B3C01763AFE82FC62A194C8B961C"
                "AEE2D0E7BE0A929E9F94B8DE"),
)
# Out-of-zone hosts are shared by many domains: fixed ROIDs, created on first use.
_SHARED_HOSTS: Final = {
    host: (f"H{101 + index}-COOP", provider)
    for index, (provider, host) in enumerate(
        (provider, host) for provider, p in enumerate(DNS_PROVIDERS) for host in p.hosts)
}
_GLUE_HOSTS: Final = {host.ldh_name: host.roid for host in _SHOWCASE_HOSTS}

# ---------------------------------------------------------------- generated objects
_GENERATED_FROM: Final = 1001  # ROID numbers below this belong to fixed objects
_OLDEST: Final = _utc(2002, 2, 1)
_NOC_DISCLOSE: Final = ("name", "org", "addr", "voice", "email")  # role accounts publish
_LOCALE_WEIGHTS: Final = tuple(accumulate(locale.weight for locale in LOCALES))
_REGISTRAR_WEIGHTS: Final = tuple(accumulate(seed.weight for seed in REGISTRARS))
_HOME_REGISTRAR: Final = {seed.country_code: seed.iana_id for seed in REGISTRARS
                          if seed.accredited}
_PROVIDERS_OF: Final = {
    seed.iana_id: tuple(index for index, provider in enumerate(DNS_PROVIDERS)
                        if provider.registrar_id == seed.iana_id)
    for seed in REGISTRARS
}


def _undelegated(statuses: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 5731 §2.3: a domain without nameservers is "inactive", which excludes "ok"."""
    return ("inactive", *(status for status in statuses if status != "ok"))


def _registrar_row(seed: RegistrarSeed) -> RegistrarRow:
    web = seed.web_domain
    return RegistrarRow(
        seed.iana_id, seed.name, f"https://www.{web}/", f"whois.{web}" if seed.accredited else None,
        f"https://rdap.{web}/" if seed.accredited else None, seed.street, seed.city,
        seed.state_province, seed.postal_code, seed.country_code, seed.phone, seed.fax,
        f"registrar@{web}", f"abuse@{web}", seed.abuse_phone, seed.created_at, seed.updated_at)


class _Registration(NamedTuple):
    roid: str
    ldh_name: str
    unicode_name: str | None
    organisation: str
    locale: Locale
    registrar_id: int
    created_at: datetime
    registrant: ContactRow


@dataclass(slots=True)
class _Rows:
    registrars: list[RegistrarRow] = field(default_factory=list)
    contacts: list[ContactRow] = field(default_factory=list)
    hosts: list[HostRow] = field(default_factory=list)
    domains: list[DomainRow] = field(default_factory=list)
    domain_contacts: list[DomainContactRow] = field(default_factory=list)
    ds_records: list[DsRecordRow] = field(default_factory=list)
    host_addresses: list[HostAddressRow] = field(default_factory=list)
    domain_hosts: list[DomainHostRow] = field(default_factory=list)
    reserved_names: list[ReservedNameRow] = field(default_factory=list)
    registry_state: list[RegistryStateRow] = field(default_factory=list)

    def take(self) -> SampleRegistry:
        """The rows gathered so far, which are then forgotten."""
        taken = SampleRegistry(**{f.name: tuple(getattr(self, f.name)) for f in fields(self)})
        for f in fields(self):
            getattr(self, f.name).clear()
        return taken


class _RegistryBuilder:
    """Draws the registry object by object from one seeded generator, in a fixed order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.rows = _Rows()
        self.newest = _OLDEST
        self.used_names = {name for name, _, _ in RESERVED_NAMES}
        self.serials = dict.fromkeys("CDH", _GENERATED_FROM)
        self.shared_hosts: set[str] = set()
        self.noc_contacts: dict[tuple[int, int], str] = {}
        self.recent: dict[int, deque[_Registration]] = {
            seed.iana_id: deque(maxlen=32) for seed in REGISTRARS}

    def _next_roid(self, kind: str) -> str:
        serial = self.serials[kind]
        self.serials[kind] = serial + 1
        return f"{kind}{serial}-COOP"

    def _seen(self, *instants: datetime | None) -> None:
        self.newest = max(self.newest, *(instant for instant in instants if instant is not None))

    def _add_contact(self, row: ContactRow) -> str:
        self.rows.contacts.append(row)
        self._seen(row.created_at, row.updated_at)
        return row.roid

    def _add_host(self, row: HostRow) -> str:
        self.rows.hosts.append(row)
        self._seen(row.created_at, row.updated_at)
        return row.roid

    def _add_domain(self, row: DomainRow, tech_roid: str | None, host_roids: Sequence[str]) -> None:
        self.rows.domains.append(row)
        self._seen(row.created_at, row.updated_at, row.transferred_at)
        if tech_roid is not None:
            self.rows.domain_contacts.append(DomainContactRow(row.roid, "tech", tech_roid))
        self.rows.domain_hosts.extend(
            DomainHostRow(row.roid, host, position) for position, host in enumerate(host_roids))

    def add_fixed_objects(self) -> None:
        for seed in REGISTRARS:
            self.rows.registrars.append(_registrar_row(seed))
            self._seen(seed.created_at, seed.updated_at)
        self.rows.reserved_names.extend(ReservedNameRow(*name) for name in RESERVED_NAMES)
        for contact in _SHOWCASE_CONTACTS:
            self._add_contact(contact)
        for host in _SHOWCASE_HOSTS:
            self._add_host(host)
        self.rows.host_addresses.extend(_SHOWCASE_ADDRESSES)
        tech = dict(_SHOWCASE_TECH)
        nameservers = dict(_SHOWCASE_NAMESERVERS)
        for domain in _SHOWCASE_DOMAINS:
            hosts = [_GLUE_HOSTS.get(name) or self._shared_host(name)
                     for name in nameservers[domain.roid]]
            self._add_domain(domain, tech[domain.roid], hosts)
            self.used_names.update(name for name in (domain.ldh_name, domain.unicode_name) if name)
        self.rows.ds_records.extend(_SHOWCASE_DS)

    def add_registry_state(self) -> None:
        self.rows.registry_state.append(RegistryStateRow(True, self.newest))

    def add_generated_domain(self) -> None:
        rng = self.rng
        _, statuses, lifecycle = rng.choices(STATUS_PROFILES, cum_weights=STATUS_WEIGHTS)[0]
        dates = draw_domain_dates(rng, lifecycle)
        registration = self._register(dates.created)
        host_roids, provider = self._nameservers(registration, statuses)
        if not host_roids:
            statuses = _undelegated(statuses)
        verified_by, verified_at = self._eligibility(dates.created, lifecycle)
        row = DomainRow(registration.roid, registration.ldh_name, registration.unicode_name,
                        registration.registrar_id, registration.registrant.roid, statuses,
                        dates.created, dates.updated, dates.expires, dates.transferred,
                        verified_by, verified_at)
        self._add_domain(row, self._tech_contact(registration, provider), host_roids)
        if dates.created.year < 2010 and rng.random() < 0.1:  # legacy admin and billing
            self.rows.domain_contacts.extend(
                DomainContactRow(row.roid, role, registration.registrant.roid)
                for role in ("admin", "billing"))
        if rng.random() < 0.3:
            self.rows.ds_records.extend(
                DsRecordRow(row.roid, *record) for record in draw_ds_records(rng))

    def _register(self, created: datetime) -> _Registration:
        rng = self.rng
        locale = rng.choices(LOCALES, cum_weights=_LOCALE_WEIGHTS)[0]
        registrar_id = self._pick_registrar(locale)
        roid = self._next_roid("D")
        sibling = self._sibling(registrar_id, created) if rng.random() < 0.06 else None
        if sibling is not None:  # a second name for a cooperative this registrar already serves
            return sibling._replace(roid=roid, created_at=created)
        ldh_name, unicode_name, organisation = self._fresh_name(locale)
        registrant = self._add_registrant(registrar_id, locale, organisation, ldh_name, created)
        registration = _Registration(roid, ldh_name, unicode_name, organisation, locale,
                                     registrar_id, created, registrant)
        if unicode_name is None:
            self.recent[registrar_id].append(registration)
        return registration

    def _pick_registrar(self, locale: Locale) -> int:
        home = _HOME_REGISTRAR.get(locale.country)
        if home is not None and self.rng.random() < 0.6:
            return home
        return self.rng.choices(REGISTRARS, cum_weights=_REGISTRAR_WEIGHTS)[0].iana_id

    def _sibling(self, registrar_id: int, created: datetime) -> _Registration | None:
        recent = self.recent[registrar_id]
        if not recent:
            return None
        parent = recent[self.rng.randrange(len(recent))]
        if parent.created_at > created:
            return None
        label = f"{parent.ldh_name.removesuffix('.coop')}-{self.rng.choice(SIBLING_SUFFIXES)}"
        if label + ".coop" in self.used_names or not LDH_LABEL.fullmatch(label):
            return None
        self.used_names.add(label + ".coop")
        return parent._replace(ldh_name=label + ".coop")

    def _fresh_name(self, locale: Locale) -> tuple[str, str | None, str]:
        rng = self.rng
        attempts = 0
        while True:
            label_template, organisation_template = rng.choice(locale.patterns)
            place = rng.choice(locale.place_forms).format(rng.choice(locale.places))
            kind = rng.choice(locale.kinds)
            label = label_template.format(place=slug(place), kind=slug(kind))
            if attempts >= 4:  # the plain names are taken: number it, as people do
                label = f"{label}-{rng.randint(2, 99 if attempts < 8 else 9999)}"
            if rng.random() >= locale.idn_share:
                label = fold(label)
            attempts += 1
            # Test the U-label first: IDNA encoding is the expensive step.
            names = None if label + ".coop" in self.used_names else domain_names(label)
            if names is not None and names[0] not in self.used_names:
                self.used_names.update(name for name in names if name)
                organisation = organisation_template.format(Place=place, Kind=kind)
                return names[0], names[1], organisation[:1].upper() + organisation[1:]

    def _add_registrant(self, registrar_id: int, locale: Locale, organisation: str,
                        ldh_name: str, created: datetime) -> ContactRow:
        rng = self.rng
        name, local_part = draw_person(rng, locale)
        city, state_province, postcode_shape = rng.choice(locale.cities)
        street: tuple[str, ...] = (rng.choice(locale.streets).format(n=rng.randint(1, 240)),)
        if rng.random() < 0.3:
            street += (rng.choice(locale.second_lines).format(n=rng.randint(1, 30)),)
        voice_ext = str(rng.randint(1, 999)) if rng.random() < 0.08 else None
        fax = draw_phone(rng, locale) if rng.random() < 0.1 else None
        disclose = rng.choices(DISCLOSE_CHOICES, cum_weights=DISCLOSE_WEIGHTS)[0]
        row = ContactRow(
            self._next_roid("C"), registrar_id, name, organisation, street, city, state_province,
            draw_postal_code(rng, postcode_shape), locale.country, draw_phone(rng, locale),
            voice_ext, fax, None, f"{local_part}@{ldh_name.removesuffix('.coop')}.test",
            disclose, _LINKED, created,
            between(rng, created, LATEST_GENERATED) if rng.random() < 0.3 else None)
        self._add_contact(row)
        return row

    def _add_colleague(self, registration: _Registration) -> str:
        """A second person at the registrant's address, with the same consent to publish.

        Sharing the consent keeps a value one of them withholds (the office address, a
        common name) from being published through the other.
        """
        rng = self.rng
        name, local_part = draw_person(rng, registration.locale)
        domain_part = registration.registrant.email.partition("@")[2]
        voice_ext = str(rng.randint(1, 999)) if rng.random() < 0.3 else None
        return self._add_contact(registration.registrant._replace(
            roid=self._next_roid("C"), name=name, voice=draw_phone(rng, registration.locale),
            voice_ext=voice_ext, fax=None, email=f"{local_part}@{domain_part}",
            created_at=registration.created_at, updated_at=None))

    def _noc_contact(self, registrar_id: int, provider_index: int) -> str:
        """The provider's NOC as a contact of this registrar, created on first use."""
        roid = self.noc_contacts.get((registrar_id, provider_index))
        if roid is None:
            roid = f"C{101 + len(self.noc_contacts)}-COOP"
            self.noc_contacts[registrar_id, provider_index] = roid
            p = DNS_PROVIDERS[provider_index]
            self._add_contact(ContactRow(
                roid, registrar_id, p.noc_name, p.organisation, p.street, p.city,
                p.state_province, p.postal_code, p.country_code, p.voice, None, None, None,
                p.email, _NOC_DISCLOSE, _LINKED, p.created_at, None))
        return roid

    def _tech_contact(self, registration: _Registration, provider: int | None) -> str | None:
        draw = self.rng.random()
        if provider is not None and draw < 0.55:
            return self._noc_contact(registration.registrar_id, provider)
        if draw < 0.8:
            return registration.registrant.roid
        return self._add_colleague(registration) if draw < 0.95 else None

    def _shared_host(self, name: str) -> str:
        roid, provider_index = _SHARED_HOSTS[name]
        if name not in self.shared_hosts:
            self.shared_hosts.add(name)
            provider = DNS_PROVIDERS[provider_index]
            self._add_host(HostRow(roid, name, None, provider.registrar_id, _LINKED,
                                   provider.created_at, None))
        return roid

    def _nameservers(self, registration: _Registration,
                     statuses: tuple[str, ...]) -> tuple[list[str], int | None]:
        """Host ROIDs in order, and the DNS provider whose hosts they are (None for glue)."""
        rng = self.rng
        on_hold = "clientHold" in statuses or "serverHold" in statuses
        if (on_hold and rng.random() < 0.5) or rng.random() < 0.02:
            return [], None
        if rng.random() < 0.12:
            return self._glue_hosts(registration), None
        own = _PROVIDERS_OF[registration.registrar_id]
        provider = rng.choice(own) if own and rng.random() < 0.5 else rng.randrange(
            len(DNS_PROVIDERS))
        return [self._shared_host(name) for name in DNS_PROVIDERS[provider].hosts], provider

    def _glue_hosts(self, registration: _Registration) -> list[str]:
        rng = self.rng
        roids = []
        for number in range(1, rng.choice((2, 2, 2, 3)) + 1):
            unicode_name = registration.unicode_name and f"ns{number}.{registration.unicode_name}"
            created = min(registration.created_at + timedelta(hours=rng.randint(1, 24)),
                          LATEST_GENERATED)
            roid = self._add_host(HostRow(
                self._next_roid("H"), f"ns{number}.{registration.ldh_name}", unicode_name,
                registration.registrar_id, _LINKED, created, None))
            self.rows.host_addresses.extend(
                HostAddressRow(roid, address) for address in draw_glue_addresses(rng, number))
            roids.append(roid)
        return roids

    def _eligibility(self, created: datetime, lifecycle: str) -> tuple[str | None, datetime | None]:
        """The sponsor's charter check: still pending for most names in their add period."""
        if lifecycle == "added" and self.rng.random() < 0.6:
            return None, None
        verified_at = created + timedelta(hours=self.rng.randint(1, 14 * 24))
        return self.rng.choice(ELIGIBILITY_VERIFIERS), min(verified_at, LATEST_GENERATED)


# ---------------------------------------------------------------- public API
def iter_registry_chunks(domains: int, seed: int, *,
                         chunk_domains: int = 20_000) -> Iterator[SampleRegistry]:
    """The registry in chunks of about ``chunk_domains`` domains, each loadable in table order.

    Every row refers only to rows of the same or an earlier chunk. The showcase objects
    are always included, so there are ``max(domains, 6)`` domains in all. The chunk size
    changes only how rows are grouped, never the rows themselves.
    """
    if domains < 0 or chunk_domains < 1:
        raise ValueError("domains must be >= 0 and chunk_domains >= 1")
    builder = _RegistryBuilder(seed)
    builder.add_fixed_objects()
    for _ in range(domains - len(_SHOWCASE_DOMAINS)):
        builder.add_generated_domain()
        if len(builder.rows.domains) >= chunk_domains:
            yield builder.rows.take()
    builder.add_registry_state()
    yield builder.rows.take()


def generate_registry(domains: int, seed: int) -> SampleRegistry:
    """The whole registry in memory: for tests and small sizes."""
    (registry,) = iter_registry_chunks(domains, seed, chunk_domains=domains + 1)
    return registry


_ANALYZE: Final = "ANALYZE"  # fresh planner statistics before anyone queries the sample


def _schema_sql(name: str) -> str:
    return (resources.files("rdap_coop.core") / "sql" / name).read_text(encoding="utf-8")


async def load_sample_registry(dsn: str, *, domains: int, seed: int,
                               create_schema: bool = True) -> LoadReport:
    """Create the schema (unless told not to) and COPY a sample registry into an empty database.

    ``dsn`` must connect as the database owner: the schema, the reader role's grants and
    the rows are created in one transaction, so a failure leaves the database as it was.
    Generation runs in a worker thread, so the event loop stays responsive meanwhile.
    """
    started = time.perf_counter()
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            if create_schema:
                await connection.execute(_schema_sql("schema.sql"))
                await connection.execute(_schema_sql("reader_role.sql"))
            totals = await _copy_chunks(connection, iter_registry_chunks(domains, seed))
        await connection.execute(_ANALYZE)
    finally:
        await connection.close()
    return LoadReport(totals["domains"], totals["contacts"], totals["hosts"],
                      totals["registrars"], time.perf_counter() - started)


async def _copy_chunks(connection: asyncpg.Connection,
                       chunks: Iterator[SampleRegistry]) -> dict[str, int]:
    """COPY chunk after chunk, generating the next one in a thread meanwhile.

    Generation is pure Python and COPY mostly waits on the server, so on two cores the
    overlap hides most of the generation time.
    """
    totals = dict.fromkeys((attribute for attribute, _, _ in TABLES), 0)
    chunk = await asyncio.to_thread(next, chunks, None)
    while chunk is not None:
        upcoming = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
        try:
            await _copy_chunk(connection, chunk, totals)
        finally:  # never leave the generator running in a thread behind a failure
            chunk = await upcoming
    return totals


async def _copy_chunk(connection: asyncpg.Connection, chunk: SampleRegistry,
                      totals: dict[str, int]) -> None:
    for attribute, table, columns in TABLES:
        rows = getattr(chunk, attribute)
        if rows:
            await connection.copy_records_to_table(table, records=rows, columns=columns)
            totals[attribute] += len(rows)
