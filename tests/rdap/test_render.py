"""The RDAP renderer as pure functions: model values in, RFC 9083 JSON out, no I/O.

Model values are built by hand. The RFC 9537 ``redacted`` entries are proved the way
ICANN's conformance tool checks them: every path is evaluated, as strict RFC 9535
JSONPath, against the exact document returned -- removal paths must find nothing,
emptyValue paths must find only blanks -- and, the other way round, a shown datum
never has an entry (SPEC EXT-32..EXT-34).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

import jsonpath
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdap_coop.core.models import (
    ContactRole,
    DomainRecord,
    DsRecord,
    HostSummary,
    Nameserver,
    PublicContact,
    PublicDomain,
    Registrar,
    Withheld,
    WithheldField,
)
from rdap_coop.core.statuses import (
    EPP_TO_RDAP,
    epp_token,
    rdap_status,
    rdap_statuses,
    unknown_statuses,
)
from rdap_coop.render import (
    RenderContext,
    render_domain,
    render_error,
    render_help,
    render_nameserver,
    render_registrar,
    rfc3339,
)
from rdap_coop.render_entities import VCARD_FIELDS_BY_ROLE
from rdap_coop.render_redacted import redacted_entries, redaction_name

Json = dict[str, object]

BASE_URL = "https://rdap.nic.coop/"
DOMAIN_URL = "https://rdap.nic.coop/domain/example.coop"
DB_FRESHNESS = datetime(2026, 1, 2, 3, 4, 5, 987654, tzinfo=UTC)
STRICT_RFC9535 = jsonpath.JSONPathEnvironment(strict=True)
PROFILE = [
    "rdap_level_0",
    "icann_rdap_technical_implementation_guide_1",
    "icann_rdap_response_profile_1",
]
# RP §1.2.2 as RDAPCT tests it (RCT -40100), over the single-line response.
EXECUTABLE_CODE = re.compile(r"<(?i:.*script.*)>")


# --- Fixture factory ---------------------------------------------------------


def make_ctx(**overrides: Any) -> RenderContext:
    values: dict[str, Any] = {
        "base_url": BASE_URL,
        "request_url": DOMAIN_URL,
        "port43": "whois.nic.coop",
        "tos_url": "https://identity.coop/policies/rdds-terms-of-use/",
        "database_updated_at": DB_FRESHNESS,
        "show_unicode_name": False,
    }
    values.update(overrides)
    return RenderContext(**values)


def make_registrar(**overrides: Any) -> Registrar:
    registrar = Registrar(
        iana_id=1234,
        name="Example Registrar, Inc.",
        url="https://registrar.example/",
        whois_server="whois.registrar.example",
        rdap_base_url="https://rdap.registrar.example/",
        street=("100 Registrar Way",),
        city="Springfield",
        state_province="IL",
        postal_code="62701",
        country_code="US",
        phone="+1.2175550100",
        fax="+1.2175550101",
        email="info@registrar.example",
        abuse_email="abuse@registrar.example",
        abuse_phone="+1.2175550199",
        created_at=datetime(2001, 5, 6, 7, 8, 9, tzinfo=UTC),
        updated_at=datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
    )
    return dataclasses.replace(registrar, **overrides)


def make_host(name: str, *addresses: str, **overrides: Any) -> HostSummary:
    host = HostSummary(
        roid="H_" + re.sub(r"[^A-Za-z0-9]", "_", name) + "-COOP",
        ldh_name=name,
        unicode_name=None,
        statuses=("ok",),
        addresses=tuple(ip_address(address) for address in addresses),
    )
    return dataclasses.replace(host, **overrides)


def make_record(**overrides: Any) -> DomainRecord:
    record = DomainRecord(
        roid="D12345-COOP",
        ldh_name="example.coop",
        unicode_name=None,
        registrar=make_registrar(),
        statuses=("clientTransferProhibited", "serverDeleteProhibited"),
        created_at=datetime(2020, 11, 1, tzinfo=UTC),
        updated_at=datetime(2025, 6, 7, 8, 9, 10, 500000, tzinfo=UTC),
        expires_at=datetime(2026, 11, 1, tzinfo=UTC),
        transferred_at=None,
        ds_records=(),
        nameservers=(make_host("ns2.example.coop"), make_host("ns1.example.coop", "192.0.2.1")),
        eligibility_verified_at=None,
    )
    return dataclasses.replace(record, **overrides)


# Raw values are distinctive, so a leak shows up as a plain substring of the output.
RAW: dict[ContactRole, dict[WithheldField, str]] = {
    role: {
        WithheldField.ID: f"C{index}SECRETID-COOP",
        WithheldField.NAME: f"Secret Person {index}",
        WithheldField.ORGANIZATION: f"Secret Org {index} Cooperative",
        WithheldField.STREET: f"{index}1 Hidden Lane",
        WithheldField.CITY: f"Hiddenville{index}",
        WithheldField.POSTAL_CODE: f"ZZ{index}9 9ZZ",
        WithheldField.PHONE: f"+44.16100000{index}1",
        WithheldField.PHONE_EXT: f"7{index}7",
        WithheldField.FAX: f"+44.16100000{index}2",
        WithheldField.FAX_EXT: f"8{index}8",
        WithheldField.EMAIL: f"secret{index}@person.example",
    }
    for index, role in enumerate(ContactRole, start=1)
}
SECOND_STREET_LINE = "Flat 9 Hidden Court"


def make_contact(
    role: ContactRole, withheld: frozenset[WithheldField] = frozenset()
) -> PublicContact:
    """A contact as the policy would hand it over: withheld data None and listed."""
    raw = RAW[role]
    shown = VCARD_FIELDS_BY_ROLE.get(role, frozenset(WithheldField))
    withheld = withheld & shown

    def value(field: WithheldField) -> str | None:
        return None if field in withheld or field not in shown else raw[field]

    street = value(WithheldField.STREET)
    return PublicContact(
        role=role,
        handle=value(WithheldField.ID),
        name=value(WithheldField.NAME),
        organisation=value(WithheldField.ORGANIZATION),
        street=None if street is None else (street, SECOND_STREET_LINE),
        city=value(WithheldField.CITY),
        state_province="Greater Manchester" if WithheldField.STREET in shown else None,
        postal_code=value(WithheldField.POSTAL_CODE),
        country_code="GB" if WithheldField.STREET in shown else None,
        voice=value(WithheldField.PHONE),
        voice_ext=value(WithheldField.PHONE_EXT),
        fax=value(WithheldField.FAX),
        fax_ext=value(WithheldField.FAX_EXT),
        email=value(WithheldField.EMAIL),
        withheld=tuple(Withheld(field, "Server policy") for field in WithheldField
                       if field in withheld),
    )


def make_domain(*contacts: PublicContact, **record_overrides: Any) -> PublicDomain:
    return PublicDomain(record=make_record(**record_overrides), contacts=contacts)


ALL = frozenset(WithheldField)
PUBLIC_DEFAULT = frozenset(WithheldField) - {WithheldField.ORGANIZATION}


def members(obj: Json, key: str) -> list[Any]:
    """A JSON array member, checked to be one (missing counts as empty)."""
    value = obj.get(key, [])
    assert isinstance(value, list)
    return value


def entity_with_role(document: Json, role: str) -> Json:
    matches = [entity for entity in members(document, "entities") if entity["roles"] == [role]]
    assert len(matches) == 1
    found: Json = matches[0]
    return found


def vcard_properties(entity: Json, name: str) -> list[list[object]]:
    vcard = entity["vcardArray"]
    assert isinstance(vcard, list) and vcard[0] == "vcard"
    return [prop for prop in vcard[1] if prop[0] == name]


def walk(value: object, depth: int = 0) -> Iterator[tuple[int, Json]]:
    if isinstance(value, dict):
        yield depth, value
        for member in value.values():
            yield from walk(member, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, depth + 1)


def assert_redactions_evaluate(document: Json) -> None:
    """Every entry's path is valid RFC 9535 and finds what its method requires."""
    for entry in members(document, "redacted"):
        assert set(entry) <= {"name", "prePath", "postPath", "pathLang", "method", "reason"}
        assert entry["reason"] == {"description": "Server policy"}
        if entry["method"] == "removal":
            assert "postPath" not in entry
            if "prePath" in entry:
                assert entry["pathLang"] == "jsonpath"
                assert STRICT_RFC9535.findall(entry["prePath"], document) == [], entry
                assert jsonpath.findall(entry["prePath"], document) == [], entry
        else:
            assert entry["method"] == "emptyValue"
            assert entry["pathLang"] == "jsonpath"
            found = STRICT_RFC9535.findall(entry["postPath"], document)
            assert found and all(value == "" for value in found), entry
            assert jsonpath.findall(entry["postPath"], document) == found


def expected_redaction_names(
    role: ContactRole, withheld: frozenset[WithheldField]
) -> set[str]:
    return {redaction_name(role, field) for field in withheld & VCARD_FIELDS_BY_ROLE[role]}


# --- Statuses (RFC 8056) -----------------------------------------------------


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("ok", "active"),
        ("linked", "associated"),
        ("inactive", "inactive"),
        ("pendingDelete", "pending delete"),
        ("pendingTransfer", "pending transfer"),
        ("clientTransferProhibited", "client transfer prohibited"),
        ("clientHold", "client hold"),
        ("serverUpdateProhibited", "server update prohibited"),
        ("addPeriod", "add period"),
        ("autoRenewPeriod", "auto renew period"),
        ("renewPeriod", "renew period"),
        ("transferPeriod", "transfer period"),
        ("redemptionPeriod", "redemption period"),
        ("pendingRestore", "pending restore"),
        ("CLIENTHOLD", "client hold"),
    ],
)
def test_epp_status_maps_to_rfc8056_value(token: str, status: str) -> None:
    assert rdap_status(token) == status


def test_status_table_covers_the_rfcs() -> None:
    assert len(EPP_TO_RDAP) == 24
    assert all(status == status.lower() for status in EPP_TO_RDAP.values())


def test_unknown_tokens_are_skipped_and_reported() -> None:
    tokens = ["serverHold", "ok", "madeUpStatus", "clientHold", "serverHold", "client hold"]
    assert rdap_statuses(tokens) == ("active", "client hold", "server hold")
    assert unknown_statuses(tokens) == ("client hold", "madeUpStatus")
    assert epp_token(" clienthold ") == "clientHold"
    assert epp_token("nope") is None


@given(st.lists(st.sampled_from(sorted(EPP_TO_RDAP)) | st.text(max_size=12), max_size=12))
def test_statuses_are_sorted_unique_and_partition_the_input(tokens: list[str]) -> None:
    statuses = rdap_statuses(tokens)
    assert list(statuses) == sorted(set(statuses))
    assert set(statuses) <= set(EPP_TO_RDAP.values())
    assert rdap_statuses(reversed(tokens)) == statuses
    unknown = set(unknown_statuses(tokens))
    assert {token for token in tokens if rdap_status(token) is None} == unknown


# --- Conformance, notices, links ---------------------------------------------


def test_conformance_includes_redacted_only_when_something_is_redacted() -> None:
    redacted = render_domain(make_domain(make_contact(ContactRole.REGISTRANT, ALL)), make_ctx())
    disclosed = render_domain(make_domain(make_contact(ContactRole.REGISTRANT)), make_ctx())
    assert redacted["rdapConformance"] == [*PROFILE, "redacted"]
    assert "redacted" in redacted
    assert disclosed["rdapConformance"] == PROFILE
    assert "redacted" not in disclosed


def test_rdap_conformance_and_notices_only_at_top_level() -> None:
    documents = [
        render_domain(make_domain(make_contact(ContactRole.REGISTRANT, ALL)), make_ctx()),
        render_nameserver(make_nameserver(), make_ctx()),
        render_registrar(make_registrar(), make_ctx()),
    ]
    for document in documents:
        for depth, obj in walk(document):
            if depth > 0:
                assert "rdapConformance" not in obj
                assert "notices" not in obj
                assert "redacted" not in obj


def test_every_object_has_an_object_class_name() -> None:
    document = render_domain(make_domain(make_contact(ContactRole.REGISTRANT, ALL),
                                         make_contact(ContactRole.TECHNICAL, ALL)), make_ctx())
    classes = [obj["objectClassName"] for _, obj in walk(document) if "roles" in obj
               or "ldhName" in obj]
    assert classes.count("domain") == 1
    assert classes.count("nameserver") == 2
    assert classes.count("entity") == 4  # registrar, its abuse contact, registrant, tech


def test_domain_notices_are_the_profile_ones() -> None:
    ctx = make_ctx()
    notices = render_domain(make_domain(), ctx)["notices"]
    assert isinstance(notices, list)
    by_title = {notice["title"]: notice for notice in notices}
    assert list(by_title) == ["Terms of Use", "Status Codes", "RDDS Inaccuracy Complaint Form"]
    assert by_title["Terms of Use"]["links"] == [{
        "value": DOMAIN_URL, "rel": "terms-of-service", "href": ctx.tos_url,
        "type": "text/html"}]
    assert ("For more information on domain status codes, please visit https://icann.org/epp"
            in by_title["Status Codes"]["description"])
    assert by_title["Status Codes"]["links"] == [{
        "value": DOMAIN_URL, "rel": "glossary", "href": "https://icann.org/epp",
        "type": "text/html"}]
    assert ("URL of the ICANN RDDS Inaccuracy Complaint Form: https://icann.org/wicf"
            in by_title["RDDS Inaccuracy Complaint Form"]["description"])
    assert by_title["RDDS Inaccuracy Complaint Form"]["links"] == [{
        "value": DOMAIN_URL, "rel": "help", "href": "https://icann.org/wicf",
        "type": "text/html"}]


def test_every_link_has_value_rel_and_href() -> None:
    documents = [
        render_domain(make_domain(make_contact(ContactRole.REGISTRANT)), make_ctx()),
        render_nameserver(make_nameserver(), make_ctx()),
        render_registrar(make_registrar(), make_ctx()),
        render_help(make_ctx()),
    ]
    for document in documents:
        for _, obj in walk(document):
            for link in members(obj, "links"):
                assert {"value", "rel", "href", "type"} <= set(link), link
                assert link["href"].startswith("https://"), link


def test_domain_self_and_related_links() -> None:
    links = render_domain(make_domain(), make_ctx())["links"]
    assert links == [
        {"value": DOMAIN_URL, "rel": "self", "href": "https://rdap.nic.coop/domain/example.coop",
         "type": "application/rdap+json"},
        {"value": DOMAIN_URL, "rel": "related",
         "href": "https://rdap.registrar.example/domain/example.coop",
         "type": "application/rdap+json"},
    ]


@pytest.mark.parametrize("iana_id", [9994, 9997, 9999])
def test_no_related_link_for_registry_reserved_registrar(iana_id: int) -> None:
    registrar = make_registrar(iana_id=iana_id)
    document = render_domain(make_domain(registrar=registrar), make_ctx())
    assert [link["rel"] for link in members(document, "links")] == ["self"]
    # The registrar entity keeps its required about link (RCT -47700).
    about = [link for link in members(entity_with_role(document, "registrar"), "links")
             if link["rel"] == "about"]
    assert about[0]["value"] == "https://rdap.registrar.example/"


def test_no_related_link_without_registrar_rdap_service() -> None:
    document = render_domain(make_domain(registrar=make_registrar(rdap_base_url=None)),
                             make_ctx())
    assert [link["rel"] for link in members(document, "links")] == ["self"]
    about = members(entity_with_role(document, "registrar"), "links")[1]
    assert about == {"value": BASE_URL, "rel": "about", "href": "https://registrar.example/",
                     "type": "text/html"}


def test_related_link_tolerates_base_url_without_slash() -> None:
    registrar = make_registrar(rdap_base_url="https://rdap.registrar.example/v1")
    links = members(render_domain(make_domain(registrar=registrar), make_ctx()), "links")
    assert links[1]["href"] == "https://rdap.registrar.example/v1/domain/example.coop"


def test_base_url_must_end_with_slash() -> None:
    with pytest.raises(ValueError, match="base_url"):
        make_ctx(base_url="https://rdap.nic.coop")


# --- Events --------------------------------------------------------------------


def test_domain_events() -> None:
    record_time = datetime(2024, 3, 4, 5, 6, 7, tzinfo=timezone(timedelta(hours=2)))
    document = render_domain(make_domain(transferred_at=record_time), make_ctx())
    assert document["events"] == [
        {"eventAction": "registration", "eventDate": "2020-11-01T00:00:00Z"},
        {"eventAction": "expiration", "eventDate": "2026-11-01T00:00:00Z"},
        {"eventAction": "last changed", "eventDate": "2025-06-07T08:09:10Z"},
        {"eventAction": "transfer", "eventDate": "2024-03-04T03:06:07Z"},
        {"eventAction": "last update of RDAP database", "eventDate": "2026-01-02T03:04:05Z"},
    ]


def test_never_updated_domain_has_no_last_changed_event() -> None:
    events = members(render_domain(make_domain(updated_at=None), make_ctx()), "events")
    assert [event["eventAction"] for event in events] == [
        "registration", "expiration", "last update of RDAP database"]


def test_lookups_need_database_freshness_and_aware_times() -> None:
    with pytest.raises(ValueError, match="database_updated_at"):
        render_domain(make_domain(), make_ctx(database_updated_at=None))
    with pytest.raises(ValueError, match="naive"):
        rfc3339(datetime(2026, 1, 1))


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.timezones()))
def test_event_dates_are_utc_whole_seconds(moment: datetime) -> None:
    text = rfc3339(moment)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", text)
    parsed = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(0) <= moment - parsed < timedelta(seconds=1)


# --- Domain members ------------------------------------------------------------


def test_domain_core_members() -> None:
    document = render_domain(make_domain(), make_ctx())
    assert document["objectClassName"] == "domain"
    assert document["handle"] == "D12345-COOP"
    assert document["ldhName"] == "example.coop"
    assert "unicodeName" not in document
    assert document["status"] == ["client transfer prohibited", "server delete prohibited"]
    assert document["port43"] == "whois.nic.coop"
    assert "port43" not in render_domain(make_domain(), make_ctx(port43=None))


def test_idn_domain_carries_unicode_name() -> None:
    document = render_domain(
        make_domain(ldh_name="xn--cooprative-e7a.coop", unicode_name="coopérative.coop"),
        make_ctx(show_unicode_name=False),
    )
    assert document["ldhName"] == "xn--cooprative-e7a.coop"
    assert document["unicodeName"] == "coopérative.coop"


def test_unicode_query_of_ascii_name_shows_unicode_name() -> None:
    document = render_domain(make_domain(), make_ctx(show_unicode_name=True))
    assert document["unicodeName"] == "example.coop"


def test_secure_dns_unsigned() -> None:
    assert render_domain(make_domain(), make_ctx())["secureDNS"] == {"delegationSigned": False}


def test_secure_dns_signed() -> None:
    records = (DsRecord(60485, 13, 2, "ABCDEF0123"), DsRecord(12345, 8, 2, "0123abcdef"))
    secure_dns = render_domain(make_domain(ds_records=records), make_ctx())["secureDNS"]
    assert secure_dns == {
        "delegationSigned": True,
        "dsData": [
            {"keyTag": 12345, "algorithm": 8, "digestType": 2, "digest": "0123abcdef"},
            {"keyTag": 60485, "algorithm": 13, "digestType": 2, "digest": "ABCDEF0123"},
        ],
    }


def test_embedded_nameservers() -> None:
    idn_host = make_host("ns.xn--cooprative-e7a.coop", "2001:DB8:0:0:0:0:0:53", "198.51.100.7",
                         unicode_name="ns.coopérative.coop", statuses=("ok", "linked"))
    document = render_domain(make_domain(nameservers=(make_host("ns2.example.coop"), idn_host)),
                             make_ctx())
    nameservers = document["nameservers"]
    assert nameservers == [
        {
            "objectClassName": "nameserver",
            "handle": idn_host.roid,
            "ldhName": "ns.xn--cooprative-e7a.coop",
            "unicodeName": "ns.coopérative.coop",
            "links": [{"value": "https://rdap.nic.coop/nameserver/ns.xn--cooprative-e7a.coop",
                       "rel": "self",
                       "href": "https://rdap.nic.coop/nameserver/ns.xn--cooprative-e7a.coop",
                       "type": "application/rdap+json"}],
            "status": ["active", "associated"],
            "ipAddresses": {"v4": ["198.51.100.7"], "v6": ["2001:db8::53"]},
        },
        {
            "objectClassName": "nameserver",
            "handle": make_host("ns2.example.coop").roid,
            "ldhName": "ns2.example.coop",
            "links": [{"value": "https://rdap.nic.coop/nameserver/ns2.example.coop",
                       "rel": "self", "href": "https://rdap.nic.coop/nameserver/ns2.example.coop",
                       "type": "application/rdap+json"}],
            "status": ["active", "associated"],
        },
    ]


def test_entities_are_registrar_then_registrant_then_tech_never_admin_or_billing() -> None:
    contacts = [make_contact(role, ALL) for role in reversed(ContactRole)]
    document = render_domain(make_domain(*contacts), make_ctx())
    roles = [entity["roles"] for entity in members(document, "entities")]
    assert roles == [["registrar"], ["registrant"], ["technical"]]
    body = orjson.dumps(document).decode()
    for role in (ContactRole.ADMINISTRATIVE, ContactRole.BILLING):
        assert role.value not in body
        assert not any(value in body for value in RAW[role].values())
    redacted_names = {entry["name"]["type"] for entry in members(document, "redacted")}
    assert not any(name.startswith(("Admin", "Billing")) for name in redacted_names)


def test_output_is_deterministic_whatever_the_input_order() -> None:
    hosts = (make_host("ns1.example.coop", "192.0.2.2", "2001:db8::2", "192.0.2.1"),
             make_host("ns2.example.coop"))
    ds = (DsRecord(2, 13, 2, "BB"), DsRecord(1, 13, 2, "AA"))
    statuses = ("serverHold", "clientHold", "serverHold")
    contacts = (make_contact(ContactRole.TECHNICAL, ALL), make_contact(ContactRole.REGISTRANT))
    forward = make_domain(*contacts, nameservers=hosts, ds_records=ds, statuses=statuses)
    backward = make_domain(
        *reversed(contacts),
        nameservers=tuple(dataclasses.replace(host, addresses=host.addresses[::-1])
                          for host in reversed(hosts)),
        ds_records=ds[::-1],
        statuses=statuses[::-1],
    )
    assert orjson.dumps(render_domain(forward, make_ctx())) == orjson.dumps(
        render_domain(backward, make_ctx()))


# --- Registrar entity ----------------------------------------------------------


def test_embedded_registrar_entity_shape() -> None:
    registrar = entity_with_role(render_domain(make_domain(), make_ctx()), "registrar")
    assert registrar["objectClassName"] == "entity"
    assert registrar["handle"] == "1234"
    assert registrar["publicIds"] == [{"type": "IANA Registrar ID", "identifier": "1234"}]
    assert vcard_properties(registrar, "fn") == [["fn", {}, "text", "Example Registrar, Inc."]]
    assert registrar["entities"] == [{
        "objectClassName": "entity",
        "roles": ["abuse"],
        "vcardArray": ["vcard", [
            ["version", {}, "text", "4.0"],
            ["fn", {}, "text", "Abuse Contact"],
            ["tel", {"type": "voice"}, "uri", "tel:+1.2175550199"],
            ["email", {}, "text", "abuse@registrar.example"],
        ]],
    }]
    assert registrar["links"] == [
        {"value": "https://rdap.nic.coop/entity/1234", "rel": "self",
         "href": "https://rdap.nic.coop/entity/1234", "type": "application/rdap+json"},
        {"value": "https://rdap.registrar.example/", "rel": "about",
         "href": "https://registrar.example/", "type": "text/html"},
    ]


def test_registrar_lookup() -> None:
    url = "https://rdap.nic.coop/entity/1234"
    document = render_registrar(make_registrar(), make_ctx(request_url=url))
    assert document["rdapConformance"] == PROFILE
    assert document["roles"] == ["registrar"]
    assert document["status"] == ["active"]
    assert document["vcardArray"] == ["vcard", [
        ["version", {}, "text", "4.0"],
        ["fn", {}, "text", "Example Registrar, Inc."],
        ["adr", {"cc": "US"}, "text",
         ["", "", "100 Registrar Way", "Springfield", "IL", "62701", ""]],
        ["tel", {"type": "voice"}, "uri", "tel:+1.2175550100"],
        ["tel", {"type": "fax"}, "uri", "tel:+1.2175550101"],
        ["email", {}, "text", "info@registrar.example"],
    ]]
    assert members(document, "links")[0] == {
        "value": url, "rel": "self", "href": url, "type": "application/rdap+json"}
    assert document["events"] == [
        {"eventAction": "registration", "eventDate": "2001-05-06T07:08:09Z"},
        {"eventAction": "last changed", "eventDate": "2024-02-03T04:05:06Z"},
        {"eventAction": "last update of RDAP database", "eventDate": "2026-01-02T03:04:05Z"},
    ]
    assert [notice["title"] for notice in members(document, "notices")] == ["Terms of Use"]


def test_registrar_multi_line_street_is_a_list() -> None:
    document = render_registrar(make_registrar(street=("Suite 5", "1 Main St"), phone=None,
                                               fax=None, updated_at=None), make_ctx())
    adr = vcard_properties(document, "adr")[0]
    assert adr[3] == ["", "", ["Suite 5", "1 Main St"], "Springfield", "IL", "62701", ""]
    assert vcard_properties(document, "tel") == []
    assert [event["eventAction"] for event in members(document, "events")] == [
        "registration", "last update of RDAP database"]


# --- Nameserver lookup -----------------------------------------------------------


def make_nameserver(**overrides: Any) -> Nameserver:
    nameserver = Nameserver(
        roid="H777-COOP",
        ldh_name="ns1.example.coop",
        unicode_name=None,
        registrar=make_registrar(),
        statuses=("ok",),
        addresses=(IPv6Address("2001:db8:0:0:1:0:0:1"), IPv4Address("192.0.2.53")),
        created_at=datetime(2020, 1, 1, tzinfo=UTC),
        updated_at=None,
        is_linked=True,
    )
    return dataclasses.replace(nameserver, **overrides)


def test_nameserver_lookup() -> None:
    url = "https://rdap.nic.coop/nameserver/ns1.example.coop"
    document = render_nameserver(make_nameserver(), make_ctx(request_url=url))
    assert document["rdapConformance"] == PROFILE
    assert document["objectClassName"] == "nameserver"
    assert document["handle"] == "H777-COOP"
    assert document["status"] == ["active", "associated"]
    assert document["ipAddresses"] == {"v4": ["192.0.2.53"], "v6": ["2001:db8::1:0:0:1"]}
    assert document["links"] == [{"value": url, "rel": "self", "href": url,
                                  "type": "application/rdap+json"}]
    assert document["events"] == [
        {"eventAction": "registration", "eventDate": "2020-01-01T00:00:00Z"},
        {"eventAction": "last update of RDAP database", "eventDate": "2026-01-02T03:04:05Z"},
    ]
    assert [entity["roles"] for entity in members(document, "entities")] == [["registrar"]]
    assert [notice["title"] for notice in members(document, "notices")] == ["Terms of Use"]


def test_unlinked_nameserver_without_glue() -> None:
    document = render_nameserver(make_nameserver(addresses=(), is_linked=False), make_ctx())
    assert document["status"] == ["active"]
    assert "ipAddresses" not in document


# --- Contacts and RFC 9537 redaction -------------------------------------------


def test_fully_disclosed_registrant() -> None:
    document = render_domain(make_domain(make_contact(ContactRole.REGISTRANT)), make_ctx())
    registrant = entity_with_role(document, "registrant")
    raw = RAW[ContactRole.REGISTRANT]
    assert registrant == {
        "objectClassName": "entity",
        "handle": raw[WithheldField.ID],
        "roles": ["registrant"],
        "vcardArray": ["vcard", [
            ["version", {}, "text", "4.0"],
            ["fn", {}, "text", raw[WithheldField.NAME]],
            ["org", {}, "text", raw[WithheldField.ORGANIZATION]],
            ["adr", {"cc": "GB"}, "text",
             ["", "", [raw[WithheldField.STREET], SECOND_STREET_LINE], raw[WithheldField.CITY],
              "Greater Manchester", raw[WithheldField.POSTAL_CODE], ""]],
            ["tel", {"type": "voice"}, "uri", f"tel:{raw[WithheldField.PHONE]};ext=717"],
            ["tel", {"type": "fax"}, "uri", f"tel:{raw[WithheldField.FAX]};ext=818"],
            ["email", {}, "text", raw[WithheldField.EMAIL]],
        ]],
    }
    assert "redacted" not in document
    assert "redacted" not in members(document, "rdapConformance")


def test_fully_withheld_registrant_blanks_required_members_and_removes_the_rest() -> None:
    document = render_domain(make_domain(make_contact(ContactRole.REGISTRANT, ALL)), make_ctx())
    registrant = entity_with_role(document, "registrant")
    assert "handle" not in registrant
    assert registrant["vcardArray"] == ["vcard", [
        ["version", {}, "text", "4.0"],
        ["fn", {}, "text", ""],
        ["adr", {"cc": "GB"}, "text", ["", "", "", "", "Greater Manchester", "", ""]],
    ]]
    assert registrant["remarks"] == [{
        "title": "EMAIL REDACTED FOR PRIVACY",
        "type": "object redacted due to authorization",
        "description": [
            "Please query the RDDS service of the Registrar of Record identified in this "
            "output for information on how to contact the Registrant, Admin, or Tech contact "
            "of the queried domain name."
        ],
    }]
    assert_redactions_evaluate(document)


def test_registrant_redacted_entries_follow_rp24_appendix_e() -> None:
    document = render_domain(make_domain(make_contact(ContactRole.REGISTRANT, PUBLIC_DEFAULT)),
                             make_ctx())
    entity = "$.entities[?(@.roles[0]=='registrant')]"
    vcard = f"{entity}.vcardArray[1]"
    expected = [
        ("Registry Registrant ID", "removal", "prePath", f"{entity}.handle"),
        ("Registrant Name", "emptyValue", "postPath", f"{vcard}[?(@[0]=='fn')][3]"),
        ("Registrant Street", "emptyValue", "postPath", f"{vcard}[?(@[0]=='adr')][3][2]"),
        ("Registrant City", "emptyValue", "postPath", f"{vcard}[?(@[0]=='adr')][3][3]"),
        ("Registrant Postal Code", "emptyValue", "postPath", f"{vcard}[?(@[0]=='adr')][3][5]"),
        ("Registrant Phone", "removal", "prePath",
         f"{vcard}[?(@[0]=='tel' && @[1].type=='voice')]"),
        ("Registrant Phone Ext", "removal", "prePath",
         f"{vcard}[?(@[0]=='tel' && @[1].type=='voice')]"),
        ("Registrant Fax", "removal", "prePath", f"{vcard}[?(@[0]=='tel' && @[1].type=='fax')]"),
        ("Registrant Fax Ext", "removal", "prePath",
         f"{vcard}[?(@[0]=='tel' && @[1].type=='fax')]"),
        ("Registrant Email", "removal", "prePath", f"{vcard}[?(@[0]=='email')]"),
    ]
    assert document["redacted"] == [
        {"name": {"type": name}, path_key: path, "pathLang": "jsonpath", "method": method,
         "reason": {"description": "Server policy"}}
        for name, method, path_key, path in expected
    ]
    assert_redactions_evaluate(document)


def test_technical_contact_shows_only_name_phone_and_email() -> None:
    document = render_domain(make_domain(make_contact(ContactRole.TECHNICAL)), make_ctx())
    tech = entity_with_role(document, "technical")
    raw = RAW[ContactRole.TECHNICAL]
    assert tech["vcardArray"] == ["vcard", [
        ["version", {}, "text", "4.0"],
        ["fn", {}, "text", raw[WithheldField.NAME]],
        ["tel", {"type": "voice"}, "uri", f"tel:{raw[WithheldField.PHONE]};ext=727"],
        ["email", {}, "text", raw[WithheldField.EMAIL]],
    ]]


def test_technical_contact_never_shows_address_even_if_given_one() -> None:
    contact = dataclasses.replace(make_contact(ContactRole.TECHNICAL),
                                  organisation="Tech Org Ltd", city="Techtown",
                                  fax="+44.1610000000", country_code="GB")
    body = orjson.dumps(render_domain(make_domain(contact), make_ctx())).decode()
    assert "Tech Org Ltd" not in body and "Techtown" not in body and "1610000000" not in body


def test_technical_redactions() -> None:
    document = render_domain(make_domain(make_contact(ContactRole.TECHNICAL, ALL)), make_ctx())
    names = [entry["name"]["type"] for entry in members(document, "redacted")]
    assert names == ["Registry Tech ID", "Tech Name", "Tech Phone", "Tech Phone Ext",
                     "Tech Email"]
    assert_redactions_evaluate(document)


def test_phone_removed_while_fax_shown() -> None:
    contact = make_contact(ContactRole.REGISTRANT,
                           frozenset({WithheldField.PHONE, WithheldField.PHONE_EXT}))
    document = render_domain(make_domain(contact), make_ctx())
    registrant = entity_with_role(document, "registrant")
    assert [prop[1] for prop in vcard_properties(registrant, "tel")] == [{"type": "fax"}]
    assert_redactions_evaluate(document)


def test_extension_withheld_while_number_shown_has_no_path() -> None:
    contact = make_contact(ContactRole.REGISTRANT, frozenset({WithheldField.PHONE_EXT}))
    document = render_domain(make_domain(contact), make_ctx())
    phone = RAW[ContactRole.REGISTRANT][WithheldField.PHONE]
    tel = vcard_properties(entity_with_role(document, "registrant"), "tel")[0]
    assert tel == ["tel", {"type": "voice"}, "uri", f"tel:{phone}"]
    assert document["redacted"] == [{"name": {"type": "Registrant Phone Ext"},
                                     "method": "removal",
                                     "reason": {"description": "Server policy"}}]


def test_contact_claiming_a_withheld_value_it_still_carries_is_rejected() -> None:
    contact = dataclasses.replace(make_contact(ContactRole.REGISTRANT),
                                  withheld=(Withheld(WithheldField.EMAIL, "Server policy"),))
    with pytest.raises(ValueError, match="withheld but present"):
        render_domain(make_domain(contact), make_ctx())


def test_redacted_paths_can_be_rooted_in_a_search_result() -> None:
    contact = make_contact(ContactRole.REGISTRANT, ALL)
    entries = redacted_entries([contact], "$.domainSearchResults[0]")
    domain = render_domain(make_domain(contact), make_ctx())
    search: Json = {"domainSearchResults": [domain], "redacted": entries}
    assert all(str(entry.get("prePath", entry.get("postPath", "$.domainSearchResults[0]")))
               .startswith("$.domainSearchResults[0].entities[?(") for entry in entries)
    assert_redactions_evaluate(search)


def test_no_withheld_value_appears_anywhere() -> None:
    contacts = [make_contact(role, ALL) for role in ContactRole]
    body = orjson.dumps(render_domain(make_domain(*contacts), make_ctx())).decode()
    for role in ContactRole:
        for value in (*RAW[role].values(), SECOND_STREET_LINE):
            assert value not in body, value


@given(
    registrant=st.frozensets(st.sampled_from(list(WithheldField))),
    tech=st.frozensets(st.sampled_from(list(WithheldField))),
    with_tech=st.booleans(),
)
def test_any_withheld_subset_is_marked_exactly_and_paths_evaluate(
    registrant: frozenset[WithheldField], tech: frozenset[WithheldField], with_tech: bool
) -> None:
    contacts = [make_contact(ContactRole.REGISTRANT, registrant)]
    if with_tech:
        contacts.append(make_contact(ContactRole.TECHNICAL, tech))
    document = render_domain(make_domain(*contacts), make_ctx())
    expected = expected_redaction_names(ContactRole.REGISTRANT, registrant)
    if with_tech:
        expected |= expected_redaction_names(ContactRole.TECHNICAL, tech)
    names = [entry["name"]["type"] for entry in members(document, "redacted")]
    assert sorted(names) == sorted(expected)  # one entry per withheld datum, no others
    assert ("redacted" in members(document, "rdapConformance")) == bool(expected)
    assert_redactions_evaluate(document)
    body = orjson.dumps(document).decode()
    for field in registrant & VCARD_FIELDS_BY_ROLE[ContactRole.REGISTRANT]:
        assert RAW[ContactRole.REGISTRANT][field] not in body
    for field in tech & VCARD_FIELDS_BY_ROLE[ContactRole.TECHNICAL] if with_tech else ():
        assert RAW[ContactRole.TECHNICAL][field] not in body


def test_adr_always_has_seven_components_and_a_country_code() -> None:
    for withheld in (frozenset(), ALL):
        document = render_domain(make_domain(make_contact(ContactRole.REGISTRANT, withheld)),
                                 make_ctx())
        for _, obj in walk(document):
            for _, parameters, _, components in (
                vcard_properties(obj, "adr") if "vcardArray" in obj else []
            ):
                assert isinstance(components, list) and isinstance(parameters, dict)
                assert len(components) == 7
                assert components[6] == ""
                assert parameters["cc"] in ("GB", "US")


def test_every_tel_has_a_voice_or_fax_type_and_a_tel_uri() -> None:
    contacts = [make_contact(role) for role in ContactRole]
    document = render_domain(make_domain(*contacts), make_ctx())
    tels = [prop for _, obj in walk(document) if "vcardArray" in obj
            for prop in vcard_properties(obj, "tel")]
    assert len(tels) == 6  # registrar voice+fax, abuse, registrant voice+fax, tech voice
    for tel in tels:
        assert tel[1] in ({"type": "voice"}, {"type": "fax"})
        assert tel[2] == "uri" and str(tel[3]).startswith("tel:+")


# --- Help and errors -------------------------------------------------------------


def test_help_has_only_conformance_and_notices() -> None:
    url = "https://rdap.nic.coop/help"
    document = render_help(make_ctx(request_url=url, database_updated_at=None))
    assert list(document) == ["rdapConformance", "notices"]
    assert document["rdapConformance"] == PROFILE
    notices = document["notices"]
    assert isinstance(notices, list)
    assert notices[0]["links"][0]["rel"] == "terms-of-service"
    assert notices[0]["links"][0]["value"] == url
    text = " ".join(notices[1]["description"])
    for topic in ("domain/", "nameserver/", "entity/", "501", "domains?name=", "nameservers?name=",
                  "entities?fn="):
        assert topic in text


def test_error_shape() -> None:
    assert render_error(404, "Not Found", ("No such domain.",)) == {
        "rdapConformance": PROFILE,
        "errorCode": 404,
        "title": "Not Found",
        "description": ["No such domain."],
    }


def test_no_response_looks_like_executable_code() -> None:
    contacts = [make_contact(role, ALL) for role in ContactRole]
    documents = [
        render_domain(make_domain(*contacts), make_ctx()),
        render_nameserver(make_nameserver(), make_ctx()),
        render_registrar(make_registrar(), make_ctx()),
        render_help(make_ctx()),
        render_error(400, "Bad Request", ["The query is not valid."]),
    ]
    for document in documents:
        assert not EXECUTABLE_CODE.search(orjson.dumps(document).decode())
