"""The WHOIS renderer as pure functions: model values in, CRLF text out, no I/O.

Domains are built raw and passed through ``redact_domain`` with the public viewer,
exactly as the lookup does, so these tests also prove that WHOIS prints the one
policy's decisions (SPEC RED-13, WHO-20): a datum is ``REDACTED FOR PRIVACY`` exactly
when the policy lists it as withheld. Hypothesis feeds arbitrary text, control
characters and line separators included, into every string field and checks that
the record keeps its lines and keys (SPEC WHO-03).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from ipaddress import ip_address
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rdap_coop.core.models import (
    Contact,
    ContactRole,
    DisclosableField,
    Domain,
    DomainRecord,
    DsRecord,
    HostSummary,
    Nameserver,
    PublicDomain,
    Registrar,
)
from rdap_coop.core.redaction import PUBLIC_VIEWER, redact_domain
from whois_coop.render import (
    FAILURE_LINES,
    INTERNAL_ERROR_LINE,
    INVALID_QUERY_LINE,
    QUERY_TOO_LONG_LINE,
    RATE_LIMITED_LINE,
    TIMEOUT_LINE,
    TOO_MANY_CONNECTIONS_LINE,
    UNAVAILABLE_LINE,
    Failure,
    render_domain,
    render_failure_line,
    render_help,
    render_nameservers,
    render_not_found,
    render_registrar,
    render_reserved,
)
from whois_coop.render_text import (
    EMAIL_REDACTED_VALUE,
    REDACTED_VALUE,
    TERMS_OF_USE_LINES,
    field_line,
    sanitise,
    utc_timestamp,
)

DB_FRESHNESS = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
LAST_UPDATE = ">>> Last update of WHOIS database: 2026-10-31T23:30:00Z <<<"

DOMAIN_KEYS = (
    "Domain Name",
    "Registry Domain ID",
    "Registrar WHOIS Server",
    "Registrar URL",
    "Updated Date",
    "Creation Date",
    "Registry Expiry Date",
    "Registrar",
    "Registrar IANA ID",
    "Registrar Abuse Contact Email",
    "Registrar Abuse Contact Phone",
    "Domain Status",
    "Registry Registrant ID",
    "Registrant Name",
    "Registrant Organization",
    "Registrant Street",
    "Registrant City",
    "Registrant State/Province",
    "Registrant Postal Code",
    "Registrant Country",
    "Registrant Phone",
    "Registrant Phone Ext",
    "Registrant Fax",
    "Registrant Fax Ext",
    "Registrant Email",
    "Registry Tech ID",
    "Tech Name",
    "Tech Phone",
    "Tech Phone Ext",
    "Tech Email",
    "Name Server",
    "DNSSEC",
    "URL of the ICANN Whois Inaccuracy Complaint Form",
)


# --- Fixture factory ---------------------------------------------------------


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def make_registrar(**overrides: Any) -> Registrar:
    registrar = Registrar(
        iana_id=1234,
        name="Cooperative Names Registrar Ltd",
        url="https://www.coopnames.example/",
        whois_server="whois.coopnames.example",
        rdap_base_url="https://rdap.coopnames.example/",
        street=("7 Toad Lane",),
        city="Manchester",
        state_province="Greater Manchester",
        postal_code="M4 4BE",
        country_code="GB",
        phone="+44.1614960100",
        fax="+44.1614960101",
        email="registrar@coopnames.example",
        abuse_email="abuse@coopnames.example",
        abuse_phone="+44.1614960199",
        created_at=_utc(2001, 5, 6, 7, 8),
        updated_at=_utc(2024, 2, 3, 4, 5),
    )
    return dataclasses.replace(registrar, **overrides)


def make_contact(**overrides: Any) -> Contact:
    """The registrant of example.coop: nothing disclosed by default."""
    contact = Contact(
        roid="C1-COOP",
        name="Jane Cooper",
        organisation="Example Cooperative Society Ltd",
        street=("12 Harbour Road", "Unit 4"),
        city="Rochdale",
        state_province="Greater Manchester",
        postal_code="OL16 1AB",
        country_code="GB",
        voice="+44.1612345678",
        voice_ext="101",
        fax="+44.1612345679",
        fax_ext=None,
        email="jane.cooper@example-coop.test",
        disclose=frozenset(),
    )
    return dataclasses.replace(contact, **overrides)


def make_tech(**overrides: Any) -> Contact:
    tech = make_contact(roid="C2-COOP", name="Tom Nettle", voice="+44.1612345600",
                        voice_ext=None, fax=None, email="noc@example-coop.test")
    return dataclasses.replace(tech, **overrides)


def make_host(name: str, *addresses: str, **overrides: Any) -> HostSummary:
    host = HostSummary(
        roid=f"H-{name}",
        ldh_name=name,
        unicode_name=None,
        statuses=("ok", "linked"),
        addresses=tuple(ip_address(address) for address in addresses),
    )
    return dataclasses.replace(host, **overrides)


SIGNED = (
    DsRecord(48213, 13, 2, "C66EAF1FD859B8E44FF9ADD5CCBBCC7ACBBC08419B3BD5EE43B06FE80E259CC1"),
)


def make_record(**overrides: Any) -> DomainRecord:
    record = DomainRecord(
        roid="D1-COOP",
        ldh_name="example.coop",
        unicode_name=None,
        registrar=make_registrar(),
        statuses=("clientTransferProhibited",),
        created_at=_utc(2003, 6, 12, 9, 30),
        updated_at=_utc(2026, 3, 2, 14, 5),
        expires_at=_utc(2027, 6, 12, 9, 30),
        transferred_at=None,
        ds_records=SIGNED,
        # Deliberately out of order: output is sorted by name.
        nameservers=(
            make_host("ns2.example.coop", "198.51.100.53"),
            make_host("ns1.example.coop", "2001:db8::53", "192.0.2.53"),
        ),
        eligibility_verified_at=None,
    )
    return dataclasses.replace(record, **overrides)


def make_domain(
    record: DomainRecord | None = None,
    registrant: Contact | None = None,
    tech: Contact | None = None,
) -> PublicDomain:
    """A public domain, produced by the one disclosure policy from raw values."""
    contacts = ((ContactRole.REGISTRANT, registrant or make_contact()),
                (ContactRole.TECHNICAL, tech or make_tech()))
    return redact_domain(Domain(record or make_record(), contacts), PUBLIC_VIEWER)


def make_nameserver(name: str, *addresses: str, **overrides: Any) -> Nameserver:
    host = Nameserver(
        roid=f"H-{name}",
        ldh_name=name,
        unicode_name=None,
        registrar=make_registrar(),
        statuses=("ok",),
        addresses=tuple(ip_address(address) for address in addresses),
        created_at=_utc(2003, 6, 12, 9, 40),
        updated_at=None,
        is_linked=True,
    )
    return dataclasses.replace(host, **overrides)


def lines_of(text: str) -> list[str]:
    """The reply's lines, after proving it is CRLF-only and CRLF-terminated."""
    assert text.endswith("\r\n")
    body = text[:-2]
    assert "\n" not in body.replace("\r\n", "") and "\r" not in body.replace("\r\n", "")
    lines = body.split("\r\n")
    for line in lines:
        # str.splitlines knows every break: VT, FF, FS/GS/RS, NEL, U+2028, U+2029.
        assert len(line.splitlines()) <= 1, repr(line)
    return lines


def keys_of(text: str) -> list[str]:
    """The key of each record line, up to the inaccuracy-form line; repeats collapsed."""
    keys: list[str] = []
    for line in lines_of(text):
        if line.startswith(">>>"):
            break
        key = line.split(":", 1)[0]
        if not keys or keys[-1] != key:
            keys.append(key)
    return keys


def value_of(text: str, key: str) -> list[str]:
    prefix = f"{key}:"
    return [line[len(prefix):].strip() for line in lines_of(text) if line.startswith(prefix)]


# --- The example.coop record, byte for byte --------------------------------------

EXAMPLE_COOP = [
    "Domain Name: EXAMPLE.COOP",
    "Registry Domain ID: D1-COOP",
    "Registrar WHOIS Server: whois.coopnames.example",
    "Registrar URL: https://www.coopnames.example/",
    "Updated Date: 2026-03-02T14:05:00Z",
    "Creation Date: 2003-06-12T09:30:00Z",
    "Registry Expiry Date: 2027-06-12T09:30:00Z",
    "Registrar: Cooperative Names Registrar Ltd",
    "Registrar IANA ID: 1234",
    "Registrar Abuse Contact Email: abuse@coopnames.example",
    "Registrar Abuse Contact Phone: +44.1614960199",
    "Domain Status: clientTransferProhibited https://icann.org/epp#clientTransferProhibited",
    "Registry Registrant ID: REDACTED FOR PRIVACY",
    "Registrant Name: REDACTED FOR PRIVACY",
    "Registrant Organization: Example Cooperative Society Ltd",
    "Registrant Street: REDACTED FOR PRIVACY",
    "Registrant City: REDACTED FOR PRIVACY",
    "Registrant State/Province: Greater Manchester",
    "Registrant Postal Code: REDACTED FOR PRIVACY",
    "Registrant Country: GB",
    "Registrant Phone: REDACTED FOR PRIVACY",
    "Registrant Phone Ext: REDACTED FOR PRIVACY",
    "Registrant Fax: REDACTED FOR PRIVACY",
    "Registrant Fax Ext:",
    f"Registrant Email: {EMAIL_REDACTED_VALUE}",
    "Registry Tech ID: REDACTED FOR PRIVACY",
    "Tech Name: REDACTED FOR PRIVACY",
    "Tech Phone: REDACTED FOR PRIVACY",
    "Tech Phone Ext:",
    f"Tech Email: {EMAIL_REDACTED_VALUE}",
    "Name Server: NS1.EXAMPLE.COOP",
    "Name Server: NS2.EXAMPLE.COOP",
    "DNSSEC: signedDelegation",
    "URL of the ICANN Whois Inaccuracy Complaint Form: https://www.icann.org/wicf/",
    LAST_UPDATE,
    "",
    "For more information on Whois status codes, please visit https://icann.org/epp",
    "",
    *TERMS_OF_USE_LINES,
]


def test_example_coop_is_rendered_exactly() -> None:
    text = render_domain(make_domain(), DB_FRESHNESS)
    assert text == "".join(line + "\r\n" for line in EXAMPLE_COOP)


def test_email_placeholder_is_the_rdap_remark_text() -> None:
    # WHO-18/WHO-20: the same words RDAP puts in its "EMAIL REDACTED FOR PRIVACY" remark.
    assert EMAIL_REDACTED_VALUE == (
        "Please query the RDDS service of the Registrar of Record identified in this output "
        "for information on how to contact the Registrant, Admin, or Tech contact of the "
        "queried domain name."
    )


# --- Domain record: keys, statuses, DNSSEC, dates ------------------------------


@pytest.mark.parametrize("disclose", [frozenset(), frozenset(DisclosableField)])
def test_domain_keys_come_in_spec4_order(disclose: frozenset[DisclosableField]) -> None:
    domain = make_domain(registrant=make_contact(disclose=disclose),
                         tech=make_tech(disclose=disclose))
    assert tuple(keys_of(render_domain(domain, DB_FRESHNESS))) == DOMAIN_KEYS


def test_missing_contacts_keep_every_key_with_empty_values() -> None:
    record = make_record()
    domain = redact_domain(Domain(record, ()), PUBLIC_VIEWER)
    text = render_domain(domain, DB_FRESHNESS)
    assert tuple(keys_of(text)) == DOMAIN_KEYS
    for key in ("Registrant Name", "Registrant Street", "Tech Email", "Registry Tech ID"):
        assert value_of(text, key) == [""]
    assert REDACTED_VALUE not in text


def test_status_lines_are_epp_tokens_sorted_with_their_url() -> None:
    record = make_record(statuses=("serverHold", "CLIENTHOLD", "pendingDelete",
                                   "redemptionPeriod", "clientHold", "bogus\r\nForged: x"))
    text = render_domain(make_domain(record), DB_FRESHNESS)
    assert value_of(text, "Domain Status") == [
        f"{token} https://icann.org/epp#{token}"
        for token in ("clientHold", "pendingDelete", "redemptionPeriod", "serverHold")
    ]
    assert "bogus" not in text and "Forged" not in text


def test_ok_status() -> None:
    text = render_domain(make_domain(make_record(statuses=("ok",))), DB_FRESHNESS)
    assert value_of(text, "Domain Status") == ["ok https://icann.org/epp#ok"]


def test_no_known_status_still_prints_the_key() -> None:
    text = render_domain(make_domain(make_record(statuses=())), DB_FRESHNESS)
    assert value_of(text, "Domain Status") == [""]


def test_dnssec_both_ways() -> None:
    signed = render_domain(make_domain(make_record(ds_records=SIGNED)), DB_FRESHNESS)
    unsigned = render_domain(make_domain(make_record(ds_records=())), DB_FRESHNESS)
    assert value_of(signed, "DNSSEC") == ["signedDelegation"]
    assert value_of(unsigned, "DNSSEC") == ["unsigned"]


def test_dates_are_utc_whole_seconds_and_never_updated_is_empty() -> None:
    plus_two = timezone(timedelta(hours=2))
    record = make_record(
        created_at=datetime(2003, 6, 12, 11, 30, 0, 999999, tzinfo=plus_two),
        expires_at=datetime(2027, 6, 12, 9, 30, 5, 123, tzinfo=UTC),
        updated_at=None,
    )
    text = render_domain(make_domain(record), datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=UTC))
    assert value_of(text, "Creation Date") == ["2003-06-12T09:30:00Z"]
    assert value_of(text, "Registry Expiry Date") == ["2027-06-12T09:30:05Z"]
    assert value_of(text, "Updated Date") == [""]
    assert ">>> Last update of WHOIS database: 2026-01-02T03:04:05Z <<<" in lines_of(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        utc_timestamp(datetime(2026, 1, 1))


def test_four_digit_years() -> None:
    assert utc_timestamp(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00Z"


def test_nameservers_are_sorted_upper_case_and_listed_once_each() -> None:
    text = render_domain(make_domain(), DB_FRESHNESS)
    assert value_of(text, "Name Server") == ["NS1.EXAMPLE.COOP", "NS2.EXAMPLE.COOP"]


def test_no_nameservers_prints_one_empty_key() -> None:
    text = render_domain(make_domain(make_record(nameservers=())), DB_FRESHNESS)
    assert value_of(text, "Name Server") == [""]


def test_idn_adds_its_unicode_form_after_the_spec4_fields() -> None:
    record = make_record(ldh_name="xn--cooprative-e7a.coop", unicode_name="coopérative.coop")
    text = render_domain(make_domain(record), DB_FRESHNESS)
    lines = lines_of(text)
    assert "Domain Name: XN--COOPRATIVE-E7A.COOP" in lines
    dnssec = lines.index("DNSSEC: signedDelegation")
    assert lines[dnssec + 1] == "Internationalized Domain Name: coopérative.coop"
    assert lines[dnssec + 2].startswith("URL of the ICANN Whois Inaccuracy Complaint Form:")
    plain = render_domain(make_domain(), DB_FRESHNESS)
    assert "Internationalized Domain Name" not in plain


def test_registrar_without_whois_server_prints_empty_key() -> None:
    record = make_record(registrar=make_registrar(whois_server=None))
    text = render_domain(make_domain(record), DB_FRESHNESS)
    assert value_of(text, "Registrar WHOIS Server") == [""]


# --- Redaction: the policy's list decides ---------------------------------------

WITHHELD_RAW = (
    "C1-COOP", "Jane Cooper", "12 Harbour Road", "Unit 4", "Rochdale", "OL16 1AB",
    "+44.1612345678", "101", "+44.1612345679", "jane.cooper@example-coop.test",
    "C2-COOP", "Tom Nettle", "+44.1612345600", "noc@example-coop.test",
)


def test_withheld_values_never_appear() -> None:
    text = render_domain(make_domain(), DB_FRESHNESS)
    for raw in WITHHELD_RAW:
        assert raw not in text, raw
    # Always public (RDP §9.1): organisation, state/province, country.
    assert value_of(text, "Registrant Organization") == ["Example Cooperative Society Ltd"]
    assert value_of(text, "Registrant State/Province") == ["Greater Manchester"]
    assert value_of(text, "Registrant Country") == ["GB"]


def test_redacted_markers_match_the_withheld_list() -> None:
    domain = make_domain()
    text = render_domain(domain, DB_FRESHNESS)
    registrant, tech = domain.contacts
    for contact, label in ((registrant, "Registrant"), (tech, "Tech")):
        for item in contact.withheld:
            key = f"Registry {label} ID" if item.field.value == "ID" else f"{label} {item.field}"
            expected = EMAIL_REDACTED_VALUE if item.field.value == "Email" else REDACTED_VALUE
            assert value_of(text, key) == [expected], key
    marked = sum(line.endswith(REDACTED_VALUE) or line.endswith(EMAIL_REDACTED_VALUE)
                 for line in lines_of(text))
    assert marked == len(registrant.withheld) + len(tech.withheld)


def test_consented_fields_print_their_values() -> None:
    registrant = make_contact(disclose=frozenset(DisclosableField))
    tech = make_tech(disclose=frozenset({DisclosableField.NAME, DisclosableField.EMAIL}))
    text = render_domain(make_domain(registrant=registrant, tech=tech), DB_FRESHNESS)
    assert value_of(text, "Registrant Name") == ["Jane Cooper"]
    assert value_of(text, "Registrant Street") == ["12 Harbour Road", "Unit 4"]
    assert value_of(text, "Registrant City") == ["Rochdale"]
    assert value_of(text, "Registrant Postal Code") == ["OL16 1AB"]
    assert value_of(text, "Registrant Phone") == ["+44.1612345678"]
    assert value_of(text, "Registrant Phone Ext") == ["101"]
    assert value_of(text, "Registrant Fax") == ["+44.1612345679"]
    assert value_of(text, "Registrant Email") == ["jane.cooper@example-coop.test"]
    assert value_of(text, "Tech Name") == ["Tom Nettle"]
    assert value_of(text, "Tech Email") == ["noc@example-coop.test"]
    assert value_of(text, "Tech Phone") == [REDACTED_VALUE]
    # Registry contact IDs are never public, whatever the contact consented to.
    assert value_of(text, "Registry Registrant ID") == [REDACTED_VALUE]
    assert value_of(text, "Registry Tech ID") == [REDACTED_VALUE]


def test_absent_data_is_empty_not_redacted() -> None:
    registrant = make_contact(fax=None, fax_ext=None, voice_ext=None, street=(),
                              postal_code=None, state_province=None)
    text = render_domain(make_domain(registrant=registrant), DB_FRESHNESS)
    for key in ("Registrant Fax", "Registrant Fax Ext", "Registrant Phone Ext",
                "Registrant Street", "Registrant Postal Code", "Registrant State/Province"):
        assert value_of(text, key) == [""], key
    assert value_of(text, "Registrant Phone") == [REDACTED_VALUE]


# --- Injection: data can never forge a line -------------------------------------

FORGERIES = ("\r\n", "\n", "\r", "\x00", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1e",
             "\t", "\x1b[2J")


@pytest.mark.parametrize("breaker", FORGERIES)
def test_injected_breaks_never_add_a_line(breaker: str) -> None:
    forged = f"Evil{breaker}Registrant Name: Forged"
    registrant = make_contact(organisation=forged, state_province=forged,
                              disclose=frozenset(DisclosableField), street=(forged, forged))
    record = make_record(registrar=make_registrar(name=forged, url=forged, abuse_email=forged),
                         roid=forged)
    text = render_domain(make_domain(record, registrant=registrant), DB_FRESHNESS)
    baseline = render_domain(make_domain(), DB_FRESHNESS)
    assert keys_of(text) == keys_of(baseline)
    assert len(lines_of(text)) == len(lines_of(baseline)) + 1  # two street lines, not one
    assert value_of(text, "Registrant Organization")[0].startswith("Evil ")
    assert value_of(text, "Registrant Name") == ["Jane Cooper"]


def test_sanitise_replaces_runs_and_keeps_text() -> None:
    assert sanitise("a\r\n\tb") == "a b"
    assert sanitise("  spaced  out  ") == "spaced  out"
    assert sanitise("\ud800x") == "\ufffdx"
    assert field_line("Key", "\r\n") == "Key:"
    assert field_line("Key", None) == "Key:"


def _is_forbidden(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")


def _assert_clean(text: str) -> None:
    for line in lines_of(text):
        assert not any(_is_forbidden(char) for char in line), repr(line)


FIELD_TEXT = st.text(st.characters(codec=None), max_size=12)
NON_EMPTY = st.text(st.characters(codec=None), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(FIELD_TEXT, min_size=25, max_size=25),
    street=st.lists(NON_EMPTY, min_size=2, max_size=2),
    disclose=st.frozensets(st.sampled_from(DisclosableField)),
)
def test_random_text_keeps_lines_and_keys(
    texts: list[str], street: list[str], disclose: frozenset[DisclosableField]
) -> None:
    t = iter(texts)
    registrar = make_registrar(name=next(t), url=next(t), whois_server=next(t),
                               abuse_email=next(t), abuse_phone=next(t))
    record = make_record(roid=next(t), ldh_name=next(t), unicode_name=None,
                         registrar=registrar,
                         nameservers=(make_host(next(t)), make_host(next(t))))
    registrant = make_contact(roid=next(t), name=next(t), organisation=next(t),
                              street=tuple(street), city=next(t), state_province=next(t),
                              postal_code=next(t), country_code=next(t), voice=next(t),
                              voice_ext=next(t), fax=next(t), fax_ext=next(t), email=next(t),
                              disclose=disclose)
    tech = make_tech(roid=next(t), name=next(t), voice=next(t), email=next(t),
                     disclose=disclose)
    text = render_domain(make_domain(record, registrant, tech), DB_FRESHNESS)
    plain_street = ("Street one", "Street two")
    baseline = render_domain(
        make_domain(make_record(nameservers=(make_host("a.coop"), make_host("b.coop"))),
                    make_contact(disclose=disclose, street=plain_street),
                    make_tech(disclose=disclose)),
        DB_FRESHNESS,
    )
    assert tuple(keys_of(text)) == DOMAIN_KEYS
    assert len(lines_of(text)) == len(lines_of(baseline))
    _assert_clean(text)
    text.encode("utf-8")


@settings(max_examples=40, deadline=None)
@given(value=FIELD_TEXT, street=st.lists(FIELD_TEXT, max_size=3))
def test_random_text_in_registrar_and_host_records(value: str, street: list[str]) -> None:
    registrar = make_registrar(name=value, street=tuple(street), city=value, email=value,
                               fax=value or None, whois_server=value)
    text = render_registrar(registrar, DB_FRESHNESS)
    assert len(lines_of(text)) == len(lines_of(render_registrar(
        make_registrar(street=("x",) * max(1, len(street))), DB_FRESHNESS)))
    _assert_clean(text)
    hosts = render_nameservers([make_nameserver(value, "192.0.2.1", registrar=registrar)],
                               DB_FRESHNESS)
    _assert_clean(hosts)
    assert len(lines_of(hosts)) == len(lines_of(render_nameservers(
        [make_nameserver("ns.example.coop", "192.0.2.1")], DB_FRESHNESS)))
    _assert_clean(render_not_found(value, DB_FRESHNESS))
    assert len(lines_of(render_not_found(value, None))) == 1 + 1 + len(TERMS_OF_USE_LINES)


# --- Nameservers ----------------------------------------------------------------


def test_nameserver_record_with_several_addresses() -> None:
    host = make_nameserver("ns1.example.coop", "2001:DB8:0:0:0:0:0:53", "198.51.100.7",
                           "192.0.2.53", "2001:db8::1")
    assert lines_of(render_nameservers([host], DB_FRESHNESS)) == [
        "Server Name: NS1.EXAMPLE.COOP",
        "IP Address: 192.0.2.53",
        "IP Address: 198.51.100.7",
        "IP Address: 2001:db8::1",
        "IP Address: 2001:db8::53",
        "Registrar: Cooperative Names Registrar Ltd",
        "Registrar WHOIS Server: whois.coopnames.example",
        "Registrar URL: https://www.coopnames.example/",
        LAST_UPDATE,
        "",
        *TERMS_OF_USE_LINES,
    ]


def test_several_hosts_are_separated_by_a_blank_line() -> None:
    hosts = [make_nameserver("ns1.example.coop", "192.0.2.53"),
             make_nameserver("ns.other.example")]
    lines = lines_of(render_nameservers(hosts, DB_FRESHNESS))
    assert lines[:11] == [
        "Server Name: NS1.EXAMPLE.COOP",
        "IP Address: 192.0.2.53",
        "Registrar: Cooperative Names Registrar Ltd",
        "Registrar WHOIS Server: whois.coopnames.example",
        "Registrar URL: https://www.coopnames.example/",
        "",
        "Server Name: NS.OTHER.EXAMPLE",
        "IP Address:",
        "Registrar: Cooperative Names Registrar Ltd",
        "Registrar WHOIS Server: whois.coopnames.example",
        "Registrar URL: https://www.coopnames.example/",
    ]
    assert lines[11] == LAST_UPDATE
    assert lines.count(LAST_UPDATE) == 1


def test_no_hosts_is_a_caller_error() -> None:
    with pytest.raises(ValueError):
        render_nameservers([], DB_FRESHNESS)


# --- Registrar ------------------------------------------------------------------


def test_registrar_record() -> None:
    registrar = make_registrar(street=("7 Toad Lane", "Rochdale Wing"), fax=None)
    assert lines_of(render_registrar(registrar, DB_FRESHNESS)) == [
        "Registrar: Cooperative Names Registrar Ltd",
        "Street: 7 Toad Lane",
        "Street: Rochdale Wing",
        "City: Manchester",
        "State/Province: Greater Manchester",
        "Postal Code: M4 4BE",
        "Country: GB",
        "Phone Number: +44.1614960100",
        "Fax Number:",
        "Email: registrar@coopnames.example",
        "Registrar WHOIS Server: whois.coopnames.example",
        "Registrar URL: https://www.coopnames.example/",
        "Registrar IANA ID: 1234",
        "Registrar Abuse Contact Email: abuse@coopnames.example",
        "Registrar Abuse Contact Phone: +44.1614960199",
        LAST_UPDATE,
        "",
        *TERMS_OF_USE_LINES,
    ]


# --- Help, not found, reserved, failures ------------------------------------------


def test_help_ends_with_the_disclaimer_and_the_update_line_when_known() -> None:
    without = lines_of(render_help(None))
    assert without[-len(TERMS_OF_USE_LINES):] == list(TERMS_OF_USE_LINES)
    assert not any(line.startswith(">>>") for line in without)
    with_update = lines_of(render_help(DB_FRESHNESS))
    assert LAST_UPDATE in with_update
    assert all(len(line) <= 100 for line in with_update)


def test_not_found() -> None:
    assert lines_of(render_not_found("example.coop", DB_FRESHNESS)) == [
        'No match for "EXAMPLE.COOP".', LAST_UPDATE, "", *TERMS_OF_USE_LINES,
    ]
    assert lines_of(render_not_found("2001:DB8::0:1", None))[:2] == [
        'No match for "2001:db8::1".', "",
    ]
    assert lines_of(render_not_found("1234", None))[0] == 'No match for "1234".'


def test_not_found_sanitises_the_echo() -> None:
    lines = lines_of(render_not_found('evil.coop\r\nDomain Name: FORGED.COOP', None))
    assert lines[0] == 'No match for "EVIL.COOP DOMAIN NAME: FORGED.COOP".'
    assert not any(line.startswith("Domain Name") for line in lines)


def test_reserved_is_a_no_match_that_says_why() -> None:
    lines = lines_of(render_reserved("nic.coop", DB_FRESHNESS))
    assert lines[0] == (
        'No match for "NIC.COOP". This name is not registered: it is reserved by the '
        ".coop sponsor."
    )
    assert lines[1:] == [LAST_UPDATE, "", *TERMS_OF_USE_LINES]


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        (Failure.INVALID_QUERY, INVALID_QUERY_LINE),
        (Failure.RATE_LIMITED, RATE_LIMITED_LINE),
        (Failure.UNAVAILABLE, UNAVAILABLE_LINE),
        (Failure.TOO_MANY, TOO_MANY_CONNECTIONS_LINE),
        (Failure.TOO_LONG, QUERY_TOO_LONG_LINE),
        (Failure.TIMEOUT, TIMEOUT_LINE),
        (Failure.INTERNAL, INTERNAL_ERROR_LINE),
    ],
)
def test_failures_are_single_fixed_lines(kind: Failure, line: str) -> None:
    assert render_failure_line(kind) == line + "\r\n"
    assert lines_of(render_failure_line(kind)) == [line]


def test_every_failure_has_a_distinct_line() -> None:
    assert set(FAILURE_LINES) == set(Failure)
    assert len(set(FAILURE_LINES.values())) == len(Failure)
