"""The sample registry generator, without a database: determinism, showcase, integrity.

The loader only COPYs these rows, so everything the schema or the RFCs demand of the
data is checked here on the rows themselves: valid and unique names, legal status sets,
references that resolve, and the fixed showcase objects the golden files rely on.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, datetime
from typing import TypeVar

import idna
import pytest

from rdap_coop.sample import (
    SAMPLE_EPOCH,
    SHOWCASE,
    TABLES,
    ContactRow,
    DomainRow,
    SampleRegistry,
    generate_registry,
    iter_registry_chunks,
)

SIZE = 300
SEED = 7
ACTIONS = ("Delete", "Renew", "Transfer", "Update")
PROHIBITIONS = {f"{who}{action}Prohibited" for who in ("client", "server") for action in ACTIONS}
EPP_PENDING = {f"pending{action}" for action in ("Create", *ACTIONS)}
GRACE = {"addPeriod", "autoRenewPeriod", "renewPeriod", "transferPeriod"}
RGP = GRACE | {"redemptionPeriod", "pendingRestore"}
DOMAIN_TOKENS = {"ok", "inactive", "clientHold", "serverHold"} | PROHIBITIONS | EPP_PENDING | RGP
OBJECT_TOKENS = {"ok", "linked"} | PROHIBITIONS | EPP_PENDING  # hosts and contacts
ROID = {kind: re.compile(rf"^{kind}[0-9A-Z_]{{1,78}}-COOP$") for kind in "CDH"}  # schema CHECKs
LDH_LABEL = re.compile(r"^(?![a-z0-9]{2}--)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
E164A = re.compile(r"^\+[0-9]{1,3}\.[0-9]{4,14}$")

K = TypeVar("K")
V = TypeVar("V")
Rule = tuple[str, Callable[[frozenset[str]], bool]]

# RFC 5731 §2.3 and RFC 3915 §3, as the ICANN RDAP profile checks them (RCT -46900).
DOMAIN_RULES: tuple[Rule, ...] = (
    ("only known EPP and RGP tokens", lambda s: s <= DOMAIN_TOKENS),
    ("'ok' combines only with grace periods", lambda s: "ok" not in s or s - {"ok"} <= GRACE),
    ("at most one pending* transform", lambda s: len(s & EPP_PENDING) <= 1),
    ("pendingX excludes client/serverXProhibited", lambda s: not any(
        f"pending{a}" in s and s & {f"client{a}Prohibited", f"server{a}Prohibited"}
        for a in ACTIONS)),
    ("redemptionPeriod and pendingRestore need pendingDelete",
     lambda s: not s & {"redemptionPeriod", "pendingRestore"} or "pendingDelete" in s),
    ("at most one RGP status", lambda s: len(s & RGP) <= 1),
)
# RFC 5732 §2.3 and RFC 5733 §2.2.
OBJECT_RULES: tuple[Rule, ...] = (
    ("only known tokens", lambda s: s <= OBJECT_TOKENS),
    ("'ok' combines only with 'linked'", lambda s: "ok" not in s or s <= {"ok", "linked"}),
    ("at most one pending* transform", lambda s: len(s & EPP_PENDING) <= 1),
)


def broken_rules(statuses: Iterable[str], rules: tuple[Rule, ...]) -> list[str]:
    tokens = list(statuses)
    found = frozenset(tokens)
    broken = [name for name, holds in rules if not holds(found)]
    if not tokens or len(found) != len(tokens):
        broken.append("non-empty, without duplicates")
    return broken


@pytest.fixture(scope="module")
def registry() -> SampleRegistry:
    return generate_registry(SIZE, SEED)


def by_key(rows: Iterable[V], key: Callable[[V], K]) -> dict[K, V]:
    return {key(row): row for row in rows}


def domain(registry: SampleRegistry, ldh_name: str) -> DomainRow:
    return next(row for row in registry.domains if row.ldh_name == ldh_name)


def contact(registry: SampleRegistry, roid: str) -> ContactRow:
    return next(row for row in registry.contacts if row.roid == roid)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------- determinism and size
def test_same_arguments_give_identical_rows(registry: SampleRegistry) -> None:
    assert repr(generate_registry(SIZE, SEED)) == repr(registry)


def test_another_seed_gives_another_registry(registry: SampleRegistry) -> None:
    other = generate_registry(SIZE, SEED + 1)
    assert {row.ldh_name for row in other.domains} != {row.ldh_name for row in registry.domains}
    assert other.contacts != registry.contacts


def test_chunking_changes_only_the_grouping(registry: SampleRegistry) -> None:
    chunks = list(iter_registry_chunks(SIZE, SEED, chunk_domains=40))
    assert len(chunks) > 5
    assert all(len(chunk.domains) <= 40 for chunk in chunks)
    for f in fields(SampleRegistry):
        joined = tuple(row for chunk in chunks for row in getattr(chunk, f.name))
        assert joined == getattr(registry, f.name), f.name


def test_each_chunk_refers_only_to_rows_already_loaded() -> None:
    loaded: dict[str, set[str]] = defaultdict(set)
    for chunk in iter_registry_chunks(SIZE, SEED, chunk_domains=25):
        loaded["contact"].update(row.roid for row in chunk.contacts)
        loaded["host"].update(row.roid for row in chunk.hosts)
        loaded["domain"].update(row.roid for row in chunk.domains)
        assert {row.registrant_roid for row in chunk.domains} <= loaded["contact"] | {None}
        assert {row.contact_roid for row in chunk.domain_contacts} <= loaded["contact"]
        assert {row.host_roid for row in chunk.domain_hosts} <= loaded["host"]
        assert {row.domain_roid for row in chunk.domain_hosts} <= loaded["domain"]


@pytest.mark.parametrize(("asked", "expected"), [(0, 6), (5, 6), (6, 6), (7, 7), (123, 123)])
def test_domain_count_is_exact_once_the_showcase_fits(asked: int, expected: int) -> None:
    assert len(generate_registry(asked, SEED).domains) == expected


@pytest.mark.parametrize(("domains", "chunk_domains"), [(-1, 10), (10, 0)])
def test_nonsense_sizes_are_refused(domains: int, chunk_domains: int) -> None:
    with pytest.raises(ValueError, match="domains"):
        next(iter_registry_chunks(domains, SEED, chunk_domains=chunk_domains))


def test_tables_cover_every_field_in_schema_column_order() -> None:
    assert [attribute for attribute, _, _ in TABLES] == [f.name for f in fields(SampleRegistry)]
    assert dict((table, columns) for _, table, columns in TABLES)["domain"] == (
        "roid", "ldh_name", "unicode_name", "registrar_id", "registrant_roid", "statuses",
        "created_at", "updated_at", "expires_at", "transferred_at", "eligibility_verified_by",
        "eligibility_verified_at")


# ---------------------------------------------------------------- the showcase
def test_example_coop(registry: SampleRegistry) -> None:
    row = domain(registry, "example.coop")
    assert row == DomainRow(
        "D1-COOP", "example.coop", None, 1234, "C1-COOP", ("clientTransferProhibited",),
        utc(2003, 6, 12, 9, 30), utc(2026, 3, 2, 14, 5), utc(2027, 6, 12, 9, 30), None,
        "dotCoop Verification", utc(2003, 6, 20, 9, 30))
    ds = [(r.key_tag, r.algorithm, r.digest_type, len(r.digest))
          for r in registry.ds_records if r.domain_roid == "D1-COOP"]
    assert ds == [(48213, 13, 2, 64), (48213, 13, 4, 96)]
    assert {(r.role, r.contact_roid) for r in registry.domain_contacts
            if r.domain_roid == "D1-COOP"} == {("tech", "C2-COOP")}
    hosts = by_key(registry.hosts, lambda host: host.roid)
    nameservers = sorted((r.position, hosts[r.host_roid].ldh_name)
                         for r in registry.domain_hosts if r.domain_roid == "D1-COOP")
    assert nameservers == [(0, "ns1.example.coop"), (1, "ns2.example.coop")]
    addresses = Counter((r.host_roid, r.address) for r in registry.host_addresses)
    assert {key for key in addresses if key[0] in ("H1-COOP", "H2-COOP")} == {
        ("H1-COOP", "192.0.2.53"), ("H1-COOP", "2001:db8::53"), ("H2-COOP", "198.51.100.53")}


def test_example_coop_contacts(registry: SampleRegistry) -> None:
    assert contact(registry, "C1-COOP") == ContactRow(
        "C1-COOP", 1234, "Jane Cooper", "Example Cooperative Society Ltd",
        ("12 Harbour Road", "Unit 4"), "Manchester", "Greater Manchester", "M1 2AB", "GB",
        "+44.1612345678", "101", "+44.1612345679", None, "jane.cooper@example-coop.test", (),
        ("ok", "linked"), utc(2003, 6, 12, 9, 25), utc(2025, 11, 3, 10))
    tom = contact(registry, "C2-COOP")
    assert (tom.name, tom.organisation, tom.voice, tom.voice_ext, tom.fax, tom.email,
            tom.disclose) == ("Tom Nettle", "Example Cooperative Society Ltd", "+44.1612345600",
                              None, None, "noc@example-coop.test", ())


@pytest.mark.parametrize(("ldh_name", "unicode_name"), [
    ("xn--cooprative-e7a.coop", "coopérative.coop"),
    ("xn--3kr4pla2233b.coop", "協同組合.coop"),
])
def test_showcase_idns(registry: SampleRegistry, ldh_name: str, unicode_name: str) -> None:
    assert domain(registry, ldh_name).unicode_name == unicode_name
    assert idna.encode(unicode_name, uts46=False).decode() == ldh_name


def test_disputed_open_books_and_expiring(registry: SampleRegistry) -> None:
    assert set(domain(registry, "disputed.coop").statuses) == {
        "serverUpdateProhibited", "serverTransferProhibited", "serverDeleteProhibited"}
    open_books = domain(registry, "open-books.coop")
    registrant = contact(registry, str(open_books.registrant_roid))
    assert registrant.disclose == ("name", "voice", "email")
    assert registrant.organisation and registrant.street and registrant.voice
    expiring = domain(registry, "expiring.coop")
    assert set(expiring.statuses) == {"pendingDelete", "redemptionPeriod"}
    assert expiring.expires_at < SAMPLE_EPOCH


def test_showcase_registrants(registry: SampleRegistry) -> None:
    registrants = {row.ldh_name: row.registrant_roid for row in registry.domains[:6]}
    assert registrants == {
        "example.coop": "C1-COOP", "xn--cooprative-e7a.coop": "C3-COOP",
        "xn--3kr4pla2233b.coop": "C4-COOP", "disputed.coop": "C5-COOP",
        "open-books.coop": "C6-COOP", "expiring.coop": "C7-COOP"}
    assert contact(registry, "C3-COOP").disclose == ("org", "addr")


def test_showcase_names_are_present_or_reserved(registry: SampleRegistry) -> None:
    registered = {row.unicode_name or row.ldh_name for row in registry.domains}
    reserved = by_key(registry.reserved_names, lambda row: row.ldh_name)
    assert set(SHOWCASE) - registered == {"housing.coop"}
    assert reserved["housing.coop"].reserved_by == "sponsor"


def test_showcase_is_the_same_for_every_seed_and_size(registry: SampleRegistry) -> None:
    small = generate_registry(0, 99)
    assert small.domains == registry.domains[:6]
    assert [c for c in small.contacts if c.roid in {f"C{n}-COOP" for n in range(1, 8)}] == [
        c for c in registry.contacts if c.roid in {f"C{n}-COOP" for n in range(1, 8)}]


# ---------------------------------------------------------------- names
def test_domain_names_are_valid_and_unique(registry: SampleRegistry) -> None:
    names = [row.ldh_name for row in registry.domains]
    assert len(set(names)) == len(names)
    for row in registry.domains:
        label, tld = row.ldh_name.split(".")
        assert tld == "coop" and row.ldh_name == row.ldh_name.lower()
        assert LDH_LABEL.match(label) or label.startswith("xn--"), row.ldh_name
        if label.startswith("xn--"):
            assert row.unicode_name == unicodedata.normalize("NFC", row.unicode_name or "")
            assert idna.decode(row.ldh_name) == row.unicode_name
            assert idna.encode(row.unicode_name, uts46=False).decode() == row.ldh_name
        else:
            assert row.unicode_name is None, row.ldh_name


def test_a_realistic_share_of_names_are_idns() -> None:
    domains = generate_registry(3000, SEED).domains
    share = sum(row.unicode_name is not None for row in domains) / len(domains)
    assert 0.07 < share < 0.16


def test_host_names_are_valid_and_unique(registry: SampleRegistry) -> None:
    names = [row.ldh_name for row in registry.hosts]
    assert len(set(names)) == len(names)
    for row in registry.hosts:
        assert all(LDH_LABEL.match(label) or label.startswith("xn--")
                   for label in row.ldh_name.split("."))
        if row.unicode_name is not None:
            assert idna.decode(row.ldh_name) == row.unicode_name


def test_no_reserved_name_is_registered(registry: SampleRegistry) -> None:
    reserved = {row.ldh_name for row in registry.reserved_names}
    assert reserved.isdisjoint(row.ldh_name for row in generate_registry(3000, SEED).domains)
    assert {row.reserved_by for row in registry.reserved_names} == {"sponsor", "registry", "icann"}
    assert {"nic.coop", "whois.coop", "www.coop", "rdap.coop", "ica.coop"} <= reserved


# ---------------------------------------------------------------- statuses
@pytest.mark.parametrize("statuses", [
    ("ok",), ("clientTransferProhibited",), ("ok", "addPeriod"), ("inactive", "clientHold"),
    ("pendingDelete", "redemptionPeriod"), ("pendingDelete", "pendingRestore"),
    ("serverDeleteProhibited", "serverTransferProhibited", "serverUpdateProhibited"),
])
def test_legal_status_sets_pass_the_rules(statuses: tuple[str, ...]) -> None:
    assert broken_rules(statuses, DOMAIN_RULES) == []


@pytest.mark.parametrize("statuses", [
    (), ("ok", "ok"), ("ok", "clientHold"), ("ok", "inactive"), ("active",),
    ("pendingDelete", "clientDeleteProhibited"), ("pendingTransfer", "serverTransferProhibited"),
    ("pendingDelete", "pendingTransfer"), ("redemptionPeriod",),
    ("pendingDelete", "redemptionPeriod", "pendingRestore"),
])
def test_illegal_status_sets_break_a_rule(statuses: tuple[str, ...]) -> None:
    assert broken_rules(statuses, DOMAIN_RULES)


def test_every_status_set_is_legal(registry: SampleRegistry) -> None:
    for row in generate_registry(3000, SEED).domains:
        assert broken_rules(row.statuses, DOMAIN_RULES) == [], row
    for statuses in [row.statuses for row in registry.hosts] + [
            row.statuses for row in registry.contacts]:
        assert broken_rules(statuses, OBJECT_RULES) == [], statuses
        assert "linked" in statuses, statuses


def test_delegation_matches_inactive(registry: SampleRegistry) -> None:
    delegated = Counter(row.domain_roid for row in registry.domain_hosts)
    for row in registry.domains:
        assert ("inactive" in row.statuses) == (row.roid not in delegated), row
        assert delegated[row.roid] in (0, 2, 3, 4), row
        positions = sorted(r.position for r in registry.domain_hosts if r.domain_roid == row.roid)
        assert positions == list(range(len(positions)))


# ---------------------------------------------------------------- integrity
def test_every_reference_resolves(registry: SampleRegistry) -> None:
    registrars = {row.iana_id for row in registry.registrars}
    contacts = {row.roid for row in registry.contacts}
    hosts = {row.roid for row in registry.hosts}
    domains = {row.roid for row in registry.domains}
    for table in (registry.contacts, registry.hosts, registry.domains):
        assert {row.registrar_id for row in table} <= registrars
    assert {row.registrant_roid for row in registry.domains} <= contacts
    assert {row.contact_roid for row in registry.domain_contacts} <= contacts
    for referring in (registry.domain_contacts, registry.ds_records, registry.domain_hosts):
        assert {row.domain_roid for row in referring} <= domains
    for host_rows in (registry.host_addresses, registry.domain_hosts):
        assert {row.host_roid for row in host_rows} <= hosts


def test_every_contact_and_host_is_in_use(registry: SampleRegistry) -> None:
    used_contacts = {row.registrant_roid for row in registry.domains} | {
        row.contact_roid for row in registry.domain_contacts}
    assert {row.roid for row in registry.contacts} == used_contacts
    assert {row.roid for row in registry.hosts} == {row.host_roid for row in registry.domain_hosts}


def test_keys_are_unique_and_roids_match_the_schema(registry: SampleRegistry) -> None:
    keyed: list[tuple[str, list[object]]] = [
        ("C", [row.roid for row in registry.contacts]), ("H", [row.roid for row in registry.hosts]),
        ("D", [row.roid for row in registry.domains]),
        ("", [row[:2] for row in registry.domain_contacts]), ("", list(registry.ds_records)),
        ("", list(registry.host_addresses)), ("", [row[:2] for row in registry.domain_hosts]),
    ]
    for kind, keys in keyed:
        assert len(set(keys)) == len(keys), kind
        assert not kind or all(ROID[kind].match(str(key)) for key in keys)


def test_registry_state_is_the_newest_change(registry: SampleRegistry) -> None:
    pairs = [(row.created_at, row.updated_at) for row in registry.registrars]
    pairs += [(row.created_at, row.updated_at) for row in registry.contacts]
    pairs += [(row.created_at, row.updated_at) for row in registry.hosts]
    pairs += [(row.created_at, row.updated_at or row.transferred_at) for row in registry.domains]
    pairs += [(row.created_at, row.transferred_at) for row in registry.domains]
    stamps = [stamp for pair in pairs for stamp in pair if stamp is not None]
    (state,) = registry.registry_state
    assert state.last_change_at == max(stamps) <= SAMPLE_EPOCH


@pytest.mark.parametrize(("size", "seed"), [(0, 1), (SIZE, SEED), (2000, 3)])
def test_last_change_is_the_udrp_lock_whatever_the_size(size: int, seed: int) -> None:
    (state,) = generate_registry(size, seed).registry_state
    assert state.last_change_at == utc(2026, 10, 31, 23, 30)


def test_domain_dates_are_coherent() -> None:
    for row in generate_registry(3000, SEED).domains:
        assert row.created_at < row.expires_at and row.created_at <= SAMPLE_EPOCH
        assert all(row.created_at <= stamp <= SAMPLE_EPOCH
                   for stamp in (row.updated_at, row.transferred_at) if stamp), row
        assert row.expires_at > SAMPLE_EPOCH or "pendingDelete" in row.statuses, row
        assert (row.eligibility_verified_by is None) == (row.eligibility_verified_at is None)


# ---------------------------------------------------------------- field formats
def test_ds_records(registry: SampleRegistry) -> None:
    assert 0.15 < len({row.domain_roid for row in registry.ds_records}) / SIZE < 0.45
    for row in registry.ds_records:
        assert 1 <= row.key_tag <= 65535 and row.algorithm in (8, 13, 15)
        assert re.fullmatch(r"[0-9A-F]{64}" if row.digest_type == 2 else r"[0-9A-F]{96}",
                            row.digest), row
        assert row.digest_type in (2, 4)


def test_addresses_are_documentation_addresses(registry: SampleRegistry) -> None:
    documentation = [ipaddress.ip_network(net) for net in
                     ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]
    for row in registry.host_addresses:
        address = ipaddress.ip_address(row.address)
        assert any(address in net for net in documentation), row
        assert str(address) == row.address  # canonical text, as Postgres prints it


def test_contact_fields(registry: SampleRegistry) -> None:
    order = ("name", "org", "addr", "voice", "fax", "email")
    for row in registry.contacts:
        assert list(row.disclose) == [flag for flag in order if flag in row.disclose]
        assert all(E164A.match(phone) for phone in (row.voice, row.fax) if phone), row
        assert 1 <= len(row.street) <= 2 and re.fullmatch("[A-Z]{2}", row.country_code)
        assert "@" in row.email and row.name and row.city
    disclosures = Counter(row.disclose for row in registry.contacts)
    assert disclosures[()] > len(registry.contacts) / 2 and len(disclosures) > 3


def test_registrars(registry: SampleRegistry) -> None:
    registrars = by_key(registry.registrars, lambda row: row.iana_id)
    assert len(registrars) >= 8 and registrars[9999].name == "dotCoop Registry Operations"
    for row in registrars.values():
        assert E164A.match(row.abuse_phone) and "@" in row.abuse_email
        assert row.rdap_base_url is None or row.rdap_base_url.endswith("/")
        assert row.whois_server is None or row.whois_server.startswith("whois.")
    assert registrars[1234].rdap_base_url == "https://rdap.coopnames.example/"


# ---------------------------------------------------------------- privacy of the sample
# Which stored columns each EPP disclose flag publishes (RFC 5733 §2.9), as the RDAP
# privacy tests read them.
DISCLOSED_COLUMNS = {"name": ("name",), "addr": ("street", "city", "postal_code"),
                     "voice": ("voice", "voice_ext"), "fax": ("fax", "fax_ext"),
                     "email": ("email",)}


def split_by_consent(row: ContactRow) -> tuple[set[str], set[str]]:
    """(published, withheld) values of a contact under its disclose flags."""
    published = {row.organisation or "", row.state_province or "", row.country_code}
    withheld = {row.roid}
    for flag, columns in DISCLOSED_COLUMNS.items():
        target = published if flag in row.disclose else withheld
        for column in columns:
            value = getattr(row, column)
            target.update(value if isinstance(value, tuple) else [value] if value else [])
    return published, withheld


def public_everywhere(registry: SampleRegistry) -> tuple[set[str], str]:
    """Values public in every answer, and the text of the registrars' own records."""
    values = {str(v) for r in registry.registrars for v in (
        r.name, r.url, r.city, r.state_province, r.email, r.abuse_email, r.abuse_phone, r.phone,
        r.postal_code, " ".join(r.street)) if v}
    values |= {v for r in registry.contacts for v in (r.organisation, r.state_province) if v}
    text = "\n".join(str(v) for r in registry.registrars for v in r if v)
    return values, text


@pytest.mark.parametrize(("size", "seed"), [(SIZE, SEED), (3000, 1), (3000, 2)])
def test_no_withheld_value_looks_published(size: int, seed: int) -> None:
    """A withheld value must not also appear in public data of the same answer.

    Otherwise the RDAP privacy tests could not tell a leak from a coincidence (a NOC
    published in the registrant's own city, a postcode inside a registrar's phone).
    """
    registry = generate_registry(size, seed)
    always_public, registrar_text = public_everywhere(registry)
    contacts = by_key(registry.contacts, lambda row: row.roid)
    hosts = by_key(registry.hosts, lambda row: row.roid)
    linked: dict[str, set[str]] = defaultdict(set)
    for link in registry.domain_contacts:
        linked[link.domain_roid].add(link.contact_roid)
    shown_with: dict[str, list[str]] = defaultdict(list)  # DS digests and nameserver names
    for record in registry.ds_records:
        shown_with[record.domain_roid].append(record.digest)
    for delegation in registry.domain_hosts:
        shown_with[delegation.domain_roid].append(hosts[delegation.host_roid].ldh_name)
    every_withheld: set[str] = set()
    for row in registry.domains:
        published, withheld = {row.ldh_name, row.unicode_name or ""}, set()
        for roid in linked[row.roid] | {str(row.registrant_roid)}:
            shown, hidden = split_by_consent(contacts[roid])
            published |= shown
            withheld |= hidden
        text = "\n".join([registrar_text, *published, *shown_with[row.roid]])
        secrets = {value for value in withheld - always_public if len(value) >= 4}
        assert not {value for value in secrets if value in text}, row.ldh_name
        every_withheld |= secrets
    assert not {value for value in every_withheld if value in registrar_text}
